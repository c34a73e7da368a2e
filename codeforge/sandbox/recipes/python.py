"""Python: `run` executes main.py; `test` checks the program against its tests, outside the program.

`run`: main.py, as `python3 main.py`; it passes when it exits 0. A main.py that does not compile is
`compile_error`, as a C or Go program the compiler rejects: the runner compiles it before running it and
says so. A SyntaxError the program raises while it runs (exec, an import) is the program failing, `failed`.

`test`: the job's test files (`tests`, plus any `test_*.py`, `*_test.py` or `conftest.py` among its `files`)
go to a harness process under a uid of its own, in a folder the program cannot read; the program's files
(the rest; a `source` is `solution.py`) are loaded in the program's process and answer the harness's calls
as plain data (runner/harness.py, runner/candidate.py). pytest files run under pytest in the harness; other
test files are scripts run top to bottom with the program's main module's names in scope (HumanEval's
`check(candidate)`, MBPP's asserts). `passed` is the harness's verdict that every test ran and held: a program
that ends before the tests are done, whatever its exit status, has `failed`.
"""

from __future__ import annotations

from ..jobs import Action, Job, Result, Status
from .common import exit_status, find_step, interpret_analyze, make_result, sandbox_limits_status, signal_name, step

ANALYZERS = ("bandit",)
SOLUTION = "solution.py"  # the name a `source` gets in a test run: the module the tests import
ENV = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1", "PYTHONPATH": "{workdir}"}


def plan(job: Job) -> dict:
    if job.action is Action.test:
        return plan_check(job)
    if job.action is Action.analyze:
        return plan_analyze(job)
    run = step("run", ["python3", "main.py"], ENV, stdin=job.stdin)
    run["python"] = "main.py"  # the runner forks it from its clean pre-started interpreter
    return {"files": job.file_map("main.py"), "steps": [run]}


def plan_analyze(job: Job) -> dict:
    """bandit on every .py file, every test (the host decides which to skip), JSON on stdout; nothing runs."""
    files = job.file_map("main.py")
    sources = sorted(path for path in files if path.endswith(".py")) or sorted(files)
    bandit = step("bandit", ["bandit", "-f", "json", "-q", *sources], {"HOME": "{workdir}"}, stop_on_failure=False)
    return {"files": files, "steps": [bandit]}


def is_test_file(path: str) -> bool:
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py")


def plan_check(job: Job) -> dict:
    files = job.file_map(SOLUTION)
    tests = {path: text for path, text in files.items() if is_test_file(path)}
    tests.update(job.tests or {})
    program = {path: text for path, text in files.items() if not is_test_file(path)}
    for path, text in files.items():  # data files the tests may open (fixtures, inputs)
        if not path.endswith(".py"):
            tests.setdefault(path, text)
    modules = sorted(path[:-3] for path in program if path.endswith(".py") and "/" not in path)
    main = next((m for m in ("solution", "main") if m in modules), modules[0] if len(modules) == 1 else None)
    pytest_files = sorted(path for path in tests if is_test_file(path) and not path.endswith("conftest.py"))
    scripts = sorted(path for path in tests if path.endswith(".py") and not is_test_file(path))
    check = {"main": main, "modules": modules, "mode": "pytest" if pytest_files else "script",
             "files": pytest_files or scripts, "env": ENV}
    return {"files": program, "tests": tests, "steps": [{"name": "check", "check": check}]}


def interpret(job: Job, response: dict) -> Result:
    if job.action is Action.test:
        return interpret_check(job, response)
    if job.action is Action.analyze:
        return interpret_analyze(job, response, ANALYZERS)
    shown = find_step(response, "run")
    limits = sandbox_limits_status(response)
    if limits is None and shown and shown.get("syntax_error"):
        return make_result(job, response, Status.compile_error, shown)
    return make_result(job, response, limits or exit_status(shown), shown)


def interpret_check(job: Job, response: dict) -> Result:
    report = find_step(response, "check") or {}
    program = report.get("program") or {}
    verdict = report.get("verdict")
    # What a person reads: the program's own output first, then the test failure and the program's errors.
    shown = {"exit_code": program.get("exit_code"), "signal": program.get("signal"),
             "stdout": _joined(program.get("stdout"), report.get("stdout")),
             "stderr": _joined(report.get("stderr"), program.get("stderr"), "the program's stderr"),
             "stdout_truncated": program.get("stdout_truncated"), "stderr_truncated": program.get("stderr_truncated")}
    details: dict = {"tests": (verdict or {}).get("tests") or []}
    limits = sandbox_limits_status(response)
    if limits is not None:
        return make_result(job, response, limits, shown, details)
    if report.get("syntax_error"):
        return make_result(job, response, Status.compile_error, shown, details)
    if verdict is None or verdict.get("harness_error"):
        details["sandbox"] = "the test harness ended without a verdict: " + \
            ((verdict or {}).get("reason") or (report.get("stderr") or "").strip()[-500:] or "no output")
        return make_result(job, response, Status.sandbox_error, shown, details)
    passed = bool(verdict.get("passed")) and bool(details["tests"]) and \
        all(t.get("outcome") == "passed" for t in details["tests"])
    if not passed:
        reason = str(verdict.get("reason") or "a test failed")
        if "ended before the tests finished" in reason:
            reason += f" ({_how_it_ended(program)})"
        details["error"] = reason
    return make_result(job, response, Status.passed if passed else Status.failed, shown, details)


def _how_it_ended(program: dict) -> str:
    if program.get("signal"):
        return f"killed by {signal_name(program['signal'])}"
    if program.get("exit_code") is not None:
        return f"exit status {program['exit_code']}"
    return "it was stopped when the tests ended"


def _joined(first, second, label: str = "") -> str:
    first, second = (first or "").rstrip("\n"), (second or "").rstrip("\n")
    if first and second:
        return first + "\n" + (f"--- {label} ---\n" if label else "") + second + "\n"
    return (first or second) + ("\n" if first or second else "")
