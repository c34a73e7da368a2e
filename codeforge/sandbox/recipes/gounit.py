"""Go `unittest`: score a candidate unit test (the one `_test.go` in `tests`, as a model wrote it) against
trusted code (`files`: the package holding the function under test, `function`).

Here the roles of `test` (go.py) turn round: the package is reference code, the test is what is untrusted.
The steps, all but the run on the tests' side (their uid and folder, which the test binary cannot reach):

1. `goimports -w` on the candidate adds the imports it forgot and drops those it does not use; its rewritten
   text comes back (`details["test_source"]`, with a diff) and is what gets built and judged.
2. `go test -c -covermode=set` builds the package with the candidate (a failure: `compile_error`, the
   compiler's message kept); 3. `go vet -json` (its findings are kept, never fatal).
4. The binary runs under the program's uid, in a work dir that holds the package's files only, with
   `-test.v` (each test's outcome) and its coverage profile written to descriptor 3, a pipe the runner reads.
5. `go tool cover -func` maps that profile onto the tests' own copy of the package's source, so coverage is
   per function and the test cannot change the source it is measured against. The function under test is
   found by where it is declared (Go 1.19's cover names a method by its bare name: `Add`, not `Counter.Add`).

The test cannot forge its score:
- It is checked before it counts (`forbidden_test`, on the text goimports returned): no `unsafe`,
  `syscall`, `os/exec`, `flag`, `plugin`, `runtime/coverage`, `runtime/debug` or internal packages, no
  `go:linkname`, no `os.NewFile`, no reflect beyond DeepEqual and TypeOf, no renamed import of os, reflect
  or testing (nothing that can close, duplicate or reopen a descriptor by number, rewrite `os.Stdout` in
  place, redirect -test.coverprofile or run another program), no `TestMain` (it would decide when the
  binary exits and what it printed before), and no reference to the counters `go test -cover` adds to the
  package (`GoCover_...`) or to the testing package's coverage hooks. Such a test scores 0: it is not a test
  that may run. Swapping the variable `os.Stdout` to capture output stays allowed: the testing package
  keeps its own reference, so a test cannot hide its `--- FAIL` lines that way.
- The profile comes only from descriptor 3. The test can reopen that pipe by name and write to it, but it
  cannot close it or keep the testing package from appending the real profile after every test ran: any
  extra write leaves two `mode:` lines, a broken line or a block twice, and a profile that is not exactly
  the testing package's own counts for nothing (no coverage, not `succeeded`). A `cover.out` file the test
  writes is never read.
- Passing needs positive evidence from the testing package itself, not the test: see `succeeded`.

The result passes (Status.passed) when the test is a good one: it succeeded, every test passed (none skipped)
and it ran some of the function under test (function_coverage > 0); a test that passes without calling the
function fails, its error says so.

What the result says (details), from which `codeforge.rewards.go_coverage_reward` computes the reward:
- runnable: the test went through goimports and the build, passed the check above, and its binary ran to an
  end of its own (a test that panics or fails is runnable; a timeout, memory or output limit is not).
- succeeded: `go test` would say ok: exit status 0 and the testing package's closing `PASS`, the profile
  written (the run reached its natural end), every declared TestXxx reported and none failed. A test that
  calls os.Exit(0) (the testing package makes that a panic inside a test) or ends before the tests finished
  does not succeed.
- all_passed: succeeded, and every declared TestXxx and each of its subtests passed: none was skipped. The
  difference from `succeeded` is skipping (t.Skip), which keeps the exit status 0.
- tests_declared / tests_passed / tests_failed / tests_skipped: the top-level TestXxx functions the test
  declares and what became of them (a test still running when the binary ended counts as failed).
- function_coverage: the share (0..1) of the function under test's statements the run covered; None when
  there is no trustworthy profile or the function is not in the package. total_coverage: the same for the
  package. coverage: `go tool cover -func` as go.py reports it (percent).
- test_source: the test as goimports left it (imports fixed, laid out as gofmt does: the compiler's and
  vet's line numbers are this text's), goimports_changed (it differs from the candidate), goimports_diff;
  vet: go vet's exit code and output (JSON after `# job`).
"""

from __future__ import annotations

import difflib
import re
from typing import Optional

from ..jobs import Job, Result, Status
from . import go
from .common import exit_status, find_step, make_result, sandbox_limits_status, step

# On top of what go.py forbids any Go code under test (unsafe, go:linkname, the coverage counters and hooks).
CANDIDATE_FORBIDDEN = go.FORBIDDEN + (
    (re.compile(r'"(syscall|os/exec|flag|plugin|runtime/debug|golang\.org/x/sys/[^"]*)"'),
     "imports a package that reaches descriptors, flags or other programs"),
    (re.compile(r'^\s*(?:import\s+)?(?!import\b)(?:\w+|\.)\s+"(?:os|reflect|testing)"', re.M),
     "renames an import of os, reflect or testing"),
    (re.compile(r"\breflect\.(?!DeepEqual\b|TypeOf\b)\w+"), "uses reflect beyond DeepEqual and TypeOf"),
    (re.compile(r"\bos\.NewFile\b"), "wraps a raw file descriptor (os.NewFile)"),
    (re.compile(r"\*\s*os\.Std(?:in|out|err)\s*=[^=]"), "overwrites the standard streams in place"),
    (re.compile(r"^func\s+TestMain\s*\(", re.M), "declares TestMain (it would decide how the binary ends)"),
)


def candidate(job: Job) -> tuple[str, str]:
    """The candidate test's file name and text."""
    return next(iter((job.tests or {}).items()))


def plan(job: Job) -> dict:
    name, text = candidate(job)
    package = job.file_map("main.go")
    tests_env = {**go.ENV, "GOPATH": "{testsdir}/gopath:/usr/share/gocode"}
    seconds = max(1, int(job.timeout_s))
    # The file name goes in as an argument ($1), never into the script's text.
    imports = step("goimports", ["sh", "-c", 'goimports -w -- "$1" && cat -- "$1"', "goimports", name],
                   tests_env, go.PACKAGE_DIR)
    build = step("build", ["sh", "-c", f"go test -c -covermode=set -o {go.BINARY} ./ && "
                                       f"if test -e {go.BINARY}; then chmod 0711 {go.BINARY}; fi"],
                 tests_env, go.PACKAGE_DIR)
    vet = step("vet", ["go", "vet", "-json", "./"], tests_env, go.PACKAGE_DIR, stop_on_failure=False)
    test = step("test", [go.BINARY, "-test.v=true", "-test.count=1", f"-test.timeout={seconds}s",
                         "-test.coverprofile=/dev/fd/3"], go.ENV, go.PACKAGE_DIR, job.stdin, stop_on_failure=False)
    coverage = step("coverage", ["sh", "-c", f"test -s {{testsdir}}/{go.PROFILE} || exit 0; "
                                             f"exec go tool cover -func={{testsdir}}/{go.PROFILE}"],
                    tests_env, go.PACKAGE_DIR)
    for tests_side in (imports, build, vet, coverage):
        tests_side["as"] = "tests"
    test["capture_fd3"], test["fd3_to"] = True, go.PROFILE
    return {"files": {f"{go.PACKAGE_DIR}/{path}": source for path, source in package.items()},
            "tests": {f"{go.PACKAGE_DIR}/{path}": source for path, source in {**package, name: text}.items()},
            "bin_dir": True, "steps": [imports, build, vet, test, coverage]}


def interpret(job: Job, response: dict) -> Result:
    name, original = candidate(job)
    imports = find_step(response, "goimports") or {}
    rewritten = imports.get("stdout") if imports.get("exit_code") == 0 else None
    source = rewritten if rewritten is not None else original
    vet = find_step(response, "vet")
    details: dict = {
        "function": job.function, "runnable": False, "succeeded": False, "all_passed": False,
        "tests_declared": 0, "tests_passed": 0, "tests_failed": 0, "tests_skipped": 0,
        "function_coverage": None, "total_coverage": None, "tests": [],
        "test_source": source, "goimports_changed": rewritten is not None and rewritten != original,
        "goimports_diff": "".join(difflib.unified_diff(original.splitlines(keepends=True),
                                                       source.splitlines(keepends=True), name, name)),
        "vet": {"exit_code": vet.get("exit_code"), "output": vet.get("stderr", "") + vet.get("stdout", "")}
        if vet else None,
    }
    limits = sandbox_limits_status(response)
    if imports.get("exit_code") not in (0, None) and not limits:
        details["error"] = "goimports could not read the test (see stderr)"
        return make_result(job, response, Status.compile_error, imports, details)
    built = find_step(response, "build") or {}
    forbidden = forbidden_test(source)  # only the candidate's: the package is reference code
    if forbidden:
        details["error"] = f"the test {forbidden}: it may not take part in a score"
        return make_result(job, response, Status.failed, find_step(response, "test") or built, details)
    if built.get("exit_code") not in (0, None) and not limits:
        details["error"] = "the test does not build with the package (see stderr)"
        return make_result(job, response, Status.compile_error, built, details)

    shown = dict(find_step(response, "test") or {})
    profile = shown.pop("fd3", None)
    shown.pop("fd3_truncated", None)
    run = go.parse_verbose(shown.get("stdout", ""))
    outcome = {t["name"]: t["outcome"] for t in run["tests"]}
    declared = sorted(set(go.DECLARED_TEST.findall(source)))
    top = [outcome.get(test, "not run") for test in declared]
    details.update(tests=run["tests"], tests_declared=len(declared), tests_passed=top.count("passed"),
                   tests_skipped=top.count("skipped"),
                   tests_failed=sum(result in ("failed", "running") for result in top))
    if limits is not None:
        return make_result(job, response, limits, shown or built, details)
    if "panic: test timed out" in shown.get("stdout", "") + shown.get("stderr", ""):
        return make_result(job, response, Status.timeout, shown, details)
    if not shown or shown.get("exit_code") is None:
        details["error"] = "the test binary did not run"
        return make_result(job, response, Status.sandbox_error, shown or built, details)
    details["runnable"] = True

    genuine = go.well_formed_profile(profile)
    finished = run["final"] is not None and genuine
    coverage = find_step(response, "coverage")
    if finished and coverage and coverage.get("exit_code") == 0:
        details["coverage"] = go.parse_cover_func(coverage.get("stdout", ""))
        details["function_coverage"] = function_share(details["coverage"], job.function or "",
                                                      job.file_map("main.go"))
        total = details["coverage"].get("total")
        details["total_coverage"] = total / 100.0 if isinstance(total, (int, float)) else None
    reported = [test for test in declared if outcome.get(test) in ("passed", "failed", "skipped")]
    any_failed = any(t["outcome"] in ("failed", "running") for t in run["tests"])
    succeeded = (exit_status(shown) is Status.passed and run["final"] == "PASS" and finished and bool(declared)
                 and len(reported) == len(declared) and not any_failed)
    details["succeeded"] = succeeded
    details["all_passed"] = succeeded and all(t["outcome"] == "passed" for t in run["tests"])
    if run["final"] is not None and not genuine and profile is not None:
        details["error"] = "the coverage report is not the testing package's own: something else wrote to it"
    elif not declared:
        details["error"] = "the test declares no TestXxx function"
    elif not finished or len(reported) < len(declared):
        details["error"] = (f"the test binary ended before the tests finished ({len(reported)} of "
                            f"{len(declared)} tests reported)")
    elif not succeeded:
        failing = [test for test in declared if outcome.get(test) != "passed"]
        details["error"] = f"{len(failing)} of {len(declared)} tests did not pass: {', '.join(failing)}"
    if details["function_coverage"] is None and "coverage" in details:
        details.setdefault("error", f"no function {job.function} in the package's coverage")
    elif details["all_passed"] and "coverage" not in details:
        details["error"] = "the tests pass, but their coverage could not be measured (see stderr)"
    elif details["all_passed"] and not details["function_coverage"]:
        details["error"] = f"the tests pass but never run {job.function}"
    good = details["all_passed"] and bool(details["function_coverage"])
    return make_result(job, response, Status.passed if good else Status.failed, shown, details)


def forbidden_test(text: str) -> str:
    """Why the candidate test may not be scored ("" when it may): it reaches what decides its score."""
    for pattern, why in CANDIDATE_FORBIDDEN:
        if pattern.search(text):
            return why
    return ""


def function_share(coverage: dict, function: str, package: dict[str, str]) -> Optional[float]:
    """The covered share (0..1) of `function` (Name, Type.Method or (*Type).Method), found by where it is
    declared in the package (so that methods of the same name on two types stay apart), else by name."""
    receiver, _, name = function.rpartition(".")
    receiver = receiver.strip("()*")
    declared = declaration(package, receiver, name)
    rows = coverage.get("functions") or []
    if declared is not None:
        file, line = declared
        for row in rows:
            if row["line"] == line and row["file"].rpartition("/")[2] == file.rpartition("/")[2]:
                return row["percent"] / 100.0
    named = [row for row in rows if row["function"] in (function, name, f"{receiver}.{name}")]
    return named[0]["percent"] / 100.0 if len(named) == 1 else None


def declaration(package: dict[str, str], receiver: str, name: str) -> Optional[tuple[str, int]]:
    """(file, line) of `func (r *Receiver) Name(` or `func Name(` in the package's files."""
    if receiver:
        pattern = re.compile(rf"^func\s*\(\s*(?:\w+\s+)?\*?\s*{re.escape(receiver)}\s*(?:\[[^\]]*\])?\s*\)\s*"
                             rf"{re.escape(name)}\s*[(\[]", re.M)
    else:
        pattern = re.compile(rf"^func\s+{re.escape(name)}\s*[(\[]", re.M)
    for path, text in sorted(package.items()):
        found = pattern.search(text)
        if found:
            return path, text.count("\n", 0, found.start()) + 1
    return None
