"""Go: `test` builds the package's tests on the tests' side and runs them as the program, with coverage;
`run` builds the package and runs the binary; `unittest` scores a candidate test against trusted code
(gounit.py).

`test`: the package (the program's files and its `_test.go` files, from `files` and `tests`) is compiled by
`go test -c` under the tests' uid, in their folder, into an execute-only binary; the binary then runs under
the program's uid in a work dir that holds the program's files only, so the program cannot read the tests'
source at run time. Its coverage profile goes to a pipe (its descriptor 3), not to a file the program could
rewrite. It passes only on positive evidence: exit status 0, every `TestXxx` the test files declare
reported as passed, the binary's closing `PASS`, and a well-formed profile (written by the testing package
only after every test ran). A binary that ends early, a `TestMain` that exits before `m.Run`, fake
`--- PASS` lines without the real end: `failed`. Code that reaches the testing or coverage machinery itself
(`testing.RegisterCover`, `unsafe`, `go:linkname`, the `GoCover_...` counters `go test -cover` adds to the
package, `testing` imported outside the tests) fails, and its coverage is not counted.

The package lives in $GOPATH/src/job. The image's build cache is read-only: Go reuses what it holds (std,
testing, testify) and cannot store anything a program could leave for the next one.
"""

from __future__ import annotations

import re

from ..jobs import Action, Job, Result, Status
from .common import exit_status, find_step, interpret_analyze, make_result, sandbox_limits_status, step

ANALYZERS = ("vet", "staticcheck")
PACKAGE_DIR = "gopath/src/job"
BINARY = "{bindir}/job.test"
PROFILE = ".codeforge/cover.out"  # in the tests' folder, from the binary's descriptor 3
ENV = {
    "GOPATH": "{workdir}/gopath:/usr/share/gocode",
    "GOCACHE": "/opt/gocache",
    "GO111MODULE": "off",
    "CGO_ENABLED": "0",
    "GOFLAGS": "-buildvcs=false",
    "GOTOOLCHAIN": "local",
}
NO_TEST_FILES = "no test files"
DECLARED_TEST = re.compile(r"^func\s+(Test[A-Z_0-9]\w*|Test)\s*\(\s*\w+\s+\*testing\.T\s*\)", re.M)
RESULT_LINE = re.compile(r"^\s*--- (PASS|FAIL|SKIP): (\S+) \(")
RUN_LINE = re.compile(r"^=== RUN\s+(\S+)")
FORBIDDEN = ((re.compile(r"\btesting\.(RegisterCover|MainStart|Cover|CoverBlock|CoverMode)\b"),
              "reaches the testing package's coverage machinery"),
             (re.compile(r'"(unsafe|runtime/coverage|internal/[^"]*)"'), "imports a package that can rewrite memory"),
             (re.compile(r"//go:linkname"), "links to runtime internals (go:linkname)"),
             # the counters `go test -cover` adds to the package: GoCover_<n>_<hash of the import path>
             (re.compile(r"\bGoCover_\d"), "touches the coverage counters that go test adds"))


def is_test_file(path: str) -> bool:
    return path.endswith("_test.go")


def plan(job: Job) -> dict:
    if job.action is Action.test:
        return plan_test(job)
    if job.action is Action.analyze:
        return plan_analyze(job)
    files = {f"{PACKAGE_DIR}/{path}": text for path, text in job.file_map("main.go").items()}
    steps = [
        step("compile", ["go", "build", "-o", "{workdir}/.codeforge/prog", "./"], ENV, PACKAGE_DIR),
        step("run", ["{workdir}/.codeforge/prog"], ENV, PACKAGE_DIR, job.stdin),
    ]
    return {"files": files, "steps": steps}


def plan_analyze(job: Job) -> dict:
    """`go vet -json` and staticcheck (Debian names it go-staticcheck) `-f json` on the package; nothing runs.
    go vet reads the image's warm build cache; staticcheck's own cache lives under $HOME, the work dir."""
    files = {f"{PACKAGE_DIR}/{path}": text for path, text in job.file_map("main.go").items()}
    vet = step("vet", ["go", "vet", "-json", "./"], ENV, PACKAGE_DIR, stop_on_failure=False)
    # go list -export (which staticcheck runs) reads the package it compiles back from the cache: a writable one.
    static = step("staticcheck", ["go-staticcheck", "-f", "json", "./"],
                  {**ENV, "GOCACHE": "{workdir}/.codeforge/gocache"}, PACKAGE_DIR, stop_on_failure=False)
    return {"files": files, "steps": [vet, static]}


def plan_test(job: Job) -> dict:
    package = {**job.file_map("main_test.go"), **(job.tests or {})}
    program = {f"{PACKAGE_DIR}/{path}": text for path, text in package.items() if not is_test_file(path)}
    tests_env = {**ENV, "GOPATH": "{testsdir}/gopath:/usr/share/gocode"}
    seconds = max(1, int(job.timeout_s))
    build = step("build", ["sh", "-c", f"go test -c -covermode=set -o {BINARY} ./ && "
                                       f"if test -e {BINARY}; then chmod 0711 {BINARY}; fi"], tests_env, PACKAGE_DIR)
    test = step("test", [BINARY, "-test.v=true", "-test.count=1", f"-test.timeout={seconds}s",
                         "-test.coverprofile=/dev/fd/3"], ENV, PACKAGE_DIR, job.stdin, stop_on_failure=False)
    coverage = step("coverage", ["sh", "-c", f"test -s {{testsdir}}/{PROFILE} || exit 0; "
                                             f"exec go tool cover -func={{testsdir}}/{PROFILE}"], tests_env, PACKAGE_DIR)
    build["as"] = coverage["as"] = "tests"
    test["capture_fd3"], test["fd3_to"] = True, PROFILE
    return {"files": program, "tests": {f"{PACKAGE_DIR}/{path}": text for path, text in package.items()},
            "bin_dir": True, "steps": [build, test, coverage]}


def interpret(job: Job, response: dict) -> Result:
    if job.action is Action.analyze:
        return interpret_analyze(job, response, ANALYZERS)
    if job.action is Action.run:
        compiled = find_step(response, "compile")
        if compiled and compiled.get("exit_code") != 0 and not sandbox_limits_status(response):
            return make_result(job, response, Status.compile_error, compiled)
        shown = find_step(response, "run")
        return make_result(job, response, sandbox_limits_status(response) or exit_status(shown), shown)

    package = {**job.file_map("main_test.go"), **(job.tests or {})}
    declared = sorted({name for path, text in package.items() if is_test_file(path)
                       for name in DECLARED_TEST.findall(text)})
    built = find_step(response, "build") or {}
    limits = sandbox_limits_status(response)
    if built.get("exit_code") not in (0, None) and not limits:
        return make_result(job, response, Status.compile_error, built)
    if limits is None and (NO_TEST_FILES in built.get("stdout", "") + built.get("stderr", "") or not declared):
        return make_result(job, response, Status.failed, built,
                           {"tests": [], "error": "no tests ran: the package declares no test"})
    shown = dict(find_step(response, "test") or {})
    profile = shown.pop("fd3", None)
    shown.pop("fd3_truncated", None)
    run = parse_verbose(shown.get("stdout", ""))
    details: dict = {"tests": run["tests"]}
    profile_ok = well_formed_profile(profile)
    finished = run["final"] is not None and profile_ok
    forbidden = forbidden_code(package)
    coverage = find_step(response, "coverage")
    if finished and not forbidden and coverage and coverage.get("exit_code") == 0:
        details["coverage"] = parse_cover_func(coverage.get("stdout", ""))
    if limits is not None:
        return make_result(job, response, limits, shown, details)
    if "panic: test timed out" in shown.get("stdout", "") + shown.get("stderr", ""):
        return make_result(job, response, Status.timeout, shown, details)
    outcome = {t["name"]: t["outcome"] for t in run["tests"]}
    reported = [name for name in declared if outcome.get(name) in ("passed", "failed", "skipped")]
    if forbidden:
        details["error"] = f"the code {forbidden}: not a verdict it may take part in"
        return make_result(job, response, Status.failed, shown, details)
    if run["final"] is not None and not profile_ok and profile is not None:
        details["error"] = "the coverage report is not the testing package's own: something else wrote to it"
        return make_result(job, response, Status.failed, shown, details)
    if not finished or len(reported) < len(declared):
        details["error"] = (f"the program ended before the tests finished ({len(reported)} of {len(declared)} "
                            "tests reported)")
        return make_result(job, response, Status.failed, shown, details)
    passed = exit_status(shown) is Status.passed and run["final"] == "PASS" and \
        all(outcome.get(name) == "passed" for name in declared)
    if not passed:
        failing = [name for name in declared if outcome.get(name) != "passed"]
        details["error"] = f"{len(failing)} of {len(declared)} tests did not pass: {', '.join(failing)}"
    return make_result(job, response, Status.passed if passed else Status.failed, shown, details)


OUTCOMES = {"PASS": "passed", "FAIL": "failed", "SKIP": "skipped"}


def parse_verbose(stdout: str) -> dict:
    """`-test.v` output -> each test's (and subtest's) outcome, the output of each top-level test, and the
    binary's closing PASS or FAIL (None when it ended before writing one)."""
    tests: dict[str, dict] = {}
    current = None  # the top-level test the lines belong to
    final = None
    for line in stdout.splitlines(keepends=True):
        started, ended = RUN_LINE.match(line), RESULT_LINE.match(line)
        if started:
            name = started.group(1)
            tests.setdefault(name, {"name": name, "outcome": "running", "output": ""})
            current = name.split("/")[0]
        elif ended:
            name = ended.group(2)
            tests.setdefault(name, {"name": name, "output": ""})["outcome"] = OUTCOMES[ended.group(1)]
            current = name.split("/")[0]
        elif line.rstrip("\n") in ("PASS", "FAIL"):
            final, current = line.rstrip("\n"), None
            continue
        if current in tests:
            tests[current]["output"] += line
    return {"tests": list(tests.values()), "final": final}


def well_formed_profile(profile) -> bool:
    """What the testing package writes once every test ran: `mode: set`, then each block once."""
    if not profile:
        return False
    lines = profile.splitlines()
    if not lines or not lines[0].startswith("mode: ") or any(line.startswith("mode:") for line in lines[1:]):
        return False
    blocks = [line.rsplit(" ", 2)[0] for line in lines[1:] if line.strip()]
    return len(blocks) == len(set(blocks)) and all(re.match(r"^\S+:\d+\.\d+,\d+\.\d+ \d+ \d+$", line)
                                                  for line in lines[1:] if line.strip())


def forbidden_code(package: dict) -> str:
    """Why the package's code may not be part of a verdict ("" when it may): it reaches the test and coverage
    machinery instead of being tested by it."""
    for path, text in package.items():
        for pattern, why in FORBIDDEN:
            if pattern.search(text):
                return why
        if not is_test_file(path) and re.search(r'^\s*(?:import\s+)?(?:\w+\s+)?"testing"', text, re.M):
            return "imports the testing package outside its tests"
    return ""


def parse_cover_func(text: str) -> dict:
    """`go tool cover -func` -> {"total": percent, "functions": [{file, line, function, percent}]}."""
    functions = []
    total = None
    for line in text.splitlines():
        parts = line.split()
        if len(parts) != 3 or not parts[2].endswith("%"):
            continue
        percent = float(parts[2].rstrip("%"))
        if parts[0] == "total:":
            total = percent
            continue
        location = parts[0].rstrip(":")
        file, _, lineno = location.rpartition(":")
        if not file or not lineno.isdigit():
            continue
        functions.append({"file": file, "line": int(lineno), "function": parts[1], "percent": percent})
    return {"total": total, "functions": functions}
