"""Go: `test` runs `go test` with coverage (GOPATH mode, testify from Debian, the image's warm build
cache); `run` builds the package and runs the binary.

The package lives in $GOPATH/src/job of the work dir. The image's build cache is read-only: Go reuses
what it holds (std, testing, testify) and cannot store anything a program could leave for the next one.
"""

from __future__ import annotations

import json
import re

from ..jobs import Action, Job, Result, Status
from .common import exit_status, find_step, make_result, sandbox_limits_status, step

PACKAGE_DIR = "gopath/src/job"
PROFILE = "{workdir}/.codeforge/cover.out"
ENV = {
    "GOPATH": "{workdir}/gopath:/usr/share/gocode",
    "GOCACHE": "/opt/gocache",
    "GO111MODULE": "off",
    "CGO_ENABLED": "0",
    "GOFLAGS": "-buildvcs=false",
    "GOTOOLCHAIN": "local",
}
BUILD_FAILED = re.compile(r"\[(build|setup) failed\]")


def plan(job: Job) -> dict:
    default = "main_test.go" if job.action is Action.test else "main.go"
    files = {f"{PACKAGE_DIR}/{path}": text for path, text in job.file_map(default).items()}
    if job.action is Action.test:
        seconds = max(1, int(job.timeout_s))
        steps = [
            step("test", ["go", "test", "-count=1", "-json", f"-timeout={seconds}s", "-covermode=set",
                          f"-coverprofile={PROFILE}", "./"], ENV, PACKAGE_DIR, job.stdin, stop_on_failure=False),
            step("coverage", ["sh", "-c", f"test -s {PROFILE} || exit 0; exec go tool cover -func={PROFILE}"],
                 ENV, PACKAGE_DIR),
        ]
        return {"files": files, "steps": steps}
    steps = [
        step("compile", ["go", "build", "-o", "{workdir}/.codeforge/prog", "./"], ENV, PACKAGE_DIR),
        step("run", ["{workdir}/.codeforge/prog"], ENV, PACKAGE_DIR, job.stdin),
    ]
    return {"files": files, "steps": steps}


def interpret(job: Job, response: dict) -> Result:
    if job.action is Action.run:
        compiled = find_step(response, "compile")
        if compiled and compiled.get("exit_code") != 0 and not sandbox_limits_status(response):
            return make_result(job, response, Status.compile_error, compiled)
        shown = find_step(response, "run")
        return make_result(job, response, sandbox_limits_status(response) or exit_status(shown), shown)

    shown = dict(find_step(response, "test") or {})
    events = parse_test_events(shown.get("stdout", ""))
    shown["stdout"] = events["output"]
    details: dict = {"tests": events["tests"]}
    coverage = find_step(response, "coverage")
    if coverage and coverage.get("exit_code") == 0:
        details["coverage"] = parse_cover_func(coverage.get("stdout", ""))
    status = sandbox_limits_status(response)
    if status is None:
        if events["build_failed"]:
            status = Status.compile_error
        elif any("panic: test timed out" in t.get("output", "") for t in events["tests"]) or \
                "panic: test timed out" in events["output"]:
            status = Status.timeout
        else:
            status = exit_status(shown)
        if status is Status.passed and not events["tests"]:
            # `go test` passes a package without tests ("[no test files]"): nothing was checked.
            status = Status.failed
            details["error"] = "no tests ran: go test found no test in the package"
    return make_result(job, response, status, shown, details)


def parse_test_events(stdout: str) -> dict:
    """`go test -json` output -> the plain text it stands for, each test's outcome, build failure."""
    text: list[str] = []
    tests: dict[str, dict] = {}
    build_failed = False
    for line in stdout.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            event = None
        if not isinstance(event, dict):
            text.append(line + "\n")
            build_failed = build_failed or bool(BUILD_FAILED.search(line))
            continue
        output = event.get("Output")
        name = event.get("Test")
        if output:
            text.append(output)
            build_failed = build_failed or bool(BUILD_FAILED.search(output))
            if name:
                tests.setdefault(name, {"name": name, "outcome": "running", "output": ""})["output"] += output
        if name and event.get("Action") in ("pass", "fail", "skip"):
            entry = tests.setdefault(name, {"name": name, "output": ""})
            entry["outcome"] = {"pass": "passed", "fail": "failed", "skip": "skipped"}[event["Action"]]
            entry["elapsed_s"] = event.get("Elapsed", 0.0)
    return {"output": "".join(text), "tests": list(tests.values()), "build_failed": build_failed}


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
