"""Python: `run` executes main.py; `test` runs pytest and reports each test's outcome.

A main.py that does not compile is `compile_error`, as a C or Go program the compiler rejects: the runner
compiles it before running it and says so. A SyntaxError the program raises while it runs (exec, an import)
is the program failing, `failed`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..jobs import Action, Job, Result, Status
from .common import exit_status, find_step, make_result, sandbox_limits_status, step

JUNIT = ".codeforge/junit.xml"
NO_TESTS_COLLECTED = 5  # pytest's exit code
ENV = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1", "PYTHONPATH": "{workdir}"}


def plan(job: Job) -> dict:
    files = job.file_map("main.py")
    if job.action is Action.test:
        argv = ["python3", "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={JUNIT}",
                "-o", "junit_family=xunit1"]
        return {"files": files, "steps": [step("test", argv, ENV, stdin=job.stdin)], "artifacts": [JUNIT]}
    run = step("run", ["python3", "main.py"], ENV, stdin=job.stdin)
    run["python"] = "main.py"  # the runner forks it from its clean pre-started interpreter
    return {"files": files, "steps": [run]}


def interpret(job: Job, response: dict) -> Result:
    name = "test" if job.action is Action.test else "run"
    shown = find_step(response, name)
    limits = sandbox_limits_status(response)
    if limits is None and shown and shown.get("syntax_error"):
        return make_result(job, response, Status.compile_error, shown)
    status = limits or exit_status(shown)
    details = {}
    if job.action is Action.test:
        details["tests"] = parse_junit(response.get("artifacts", {}).get(JUNIT))
        if shown and shown.get("exit_code") == NO_TESTS_COLLECTED:
            details["error"] = "no tests ran: pytest collected none"
    return make_result(job, response, status, shown, details)


def parse_junit(text: str | None) -> list[dict]:
    """Each test case from pytest's JUnit XML: name and outcome (passed, failed, error, skipped)."""
    if not text:
        return []
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return []
    tests = []
    for case in root.iter("testcase"):
        outcome = "passed"
        for tag in ("failure", "error", "skipped"):
            if case.find(tag) is not None:
                outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[tag]
                break
        name = "::".join(part for part in (case.get("classname"), case.get("name")) if part)
        tests.append({"name": name, "outcome": outcome, "time_s": float(case.get("time") or 0.0)})
    return tests


