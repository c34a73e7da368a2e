"""Findings as stored JSON, the tools' reports read without Docker, and what a missing tool says."""

from __future__ import annotations

import json

import pytest

from codeforge.analyzers import AnalyzerUnavailable, Finding, Severity, Tool, for_language
from codeforge.analyzers import bandit, go_vet, staticcheck
from codeforge.analyzers._sandbox import report_of
from codeforge.sandbox import Job, Result, Status, recipes
from codeforge.vocabulary import Language


def test_a_finding_survives_json():
    finding = Finding(Tool.go_vet, "printf", Severity.medium, None, None, "main.go", 7, "wrong verb", "x")
    assert Finding.from_dict(json.loads(json.dumps(finding.to_dict()))) == finding
    assert finding.to_dict()["tool"] == "go-vet"


def test_a_tool_missing_from_the_image_says_which_image_to_build():
    job = Job(id="a", language="python", source="x = 1\n", action="analyze")
    missing = recipes.interpret(job, {"steps": [{"name": "bandit", "exit_code": 127, "stdout": "", "stderr": ""}]})
    with pytest.raises(AnalyzerUnavailable, match=r"run `codeforge sandbox build python`"):
        report_of(missing, "bandit", Tool.bandit)
    go = Job(id="g", language="go", source="package main\n", action="analyze")
    half = recipes.interpret(go, {"steps": [{"name": "vet", "exit_code": 0, "stderr": "# job\n{}\n"},
                                            {"name": "staticcheck", "exit_code": 127}]})
    assert go_vet.GoVet().findings(half, "package main\n") == []  # vet's report stands
    with pytest.raises(AnalyzerUnavailable, match=r"staticcheck is not in the sandbox image.*sandbox build go"):
        staticcheck.Staticcheck().findings(half, "package main\n")


def test_a_sandbox_failure_is_never_read_as_no_findings():
    failed = Result(id="a", status=Status.sandbox_error, details={"sandbox": "runner lost"})
    with pytest.raises(RuntimeError, match="runner lost"):
        bandit.Bandit().findings(failed, "")
    with pytest.raises(RuntimeError, match="no JSON"):
        bandit.parse("Traceback ...", "")
    with pytest.raises(RuntimeError, match="without a report"):
        staticcheck.parse("", "", "panic", exit_code=2)


def test_go_vet_reads_every_package_and_check():
    stderr = ('# job\n{\n "job": {\n  "printf": [{"posn": "/sandbox/1/gopath/src/job/main.go:7:5", "message": "a"},'
              '{"posn": "/sandbox/1/gopath/src/job/main.go:9:2", "message": "b"}],\n'
              '  "unreachable": [{"posn": "/sandbox/1/gopath/src/job/main.go:3:1", "message": "c"}]\n }\n}\n')
    found = go_vet.parse(stderr, "l1\nl2\nl3\n")
    assert [(f.rule, f.line, f.file) for f in found] == [("unreachable", 3, "main.go"), ("printf", 7, "main.go"),
                                                         ("printf", 9, "main.go")]
    assert found[0].code_line == "l3"


def test_bandit_takes_the_cwe_from_its_report_when_it_gives_one():
    report = {"errors": [], "results": [{"test_id": "B999", "issue_severity": "LOW", "issue_confidence": "MEDIUM",
                                         "issue_cwe": {"id": 1234}, "filename": "main.py", "line_number": 1,
                                         "issue_text": "t", "test_name": "n"}]}
    [found] = bandit.parse(json.dumps(report), "x = 1\n")
    assert (found.cwe, found.severity, found.confidence) == (1234, Severity.low, "medium")


def test_which_analyzers_apply_to_a_language():
    assert [a.name for a in for_language(Language.go)] == [Tool.go_vet, Tool.staticcheck, Tool.tests]
    assert [a.name for a in for_language(Language.cpp, ["memcheck", "bandit"])] == [Tool.memcheck]
    with pytest.raises(ValueError):
        for_language(Language.python, ["svace"])


def test_bandit_skips_assert_used_and_python_2s_input_by_default():
    report = {"errors": [], "results": [
        {"test_id": rule, "issue_severity": "LOW", "issue_confidence": "HIGH", "filename": "main.py",
         "line_number": line, "issue_text": rule} for rule, line in (("B101", 1), ("B322", 2), ("B311", 3))]}
    assert [f.rule for f in bandit.parse(json.dumps(report), "")] == ["B311"]
    assert [f.rule for f in bandit.parse(json.dumps(report), "", skip=frozenset())] == ["B101", "B322", "B311"]


def test_the_rule_cwe_table_agrees_with_bandits_own():
    """bookworm's bandit gives no CWE; the table must say what later bandit releases say for each rule."""
    import ast
    from pathlib import Path

    pytest.importorskip("bandit")
    import bandit
    from bandit.blacklists import calls, imports
    from bandit.core import issue

    from codeforge.analyzers.bandit import RULE_CWE

    truth = {}
    for module in (calls, imports):
        for entries in module.gen_blacklist().values():
            for entry in entries:
                truth.setdefault(entry["id"], set()).add(int(entry["cwe"]))
    for path in (Path(bandit.__file__).parent / "plugins").glob("*.py"):
        tree = ast.parse(path.read_text())
        found_in_file = {getattr(issue.Cwe, n.attr) for n in ast.walk(tree)
                         if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Attribute)
                         and n.value.attr == "Cwe"}
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                for decorator in node.decorator_list:
                    if (isinstance(decorator, ast.Call) and getattr(decorator.func, "attr", "") == "test_id"):
                        truth.setdefault(decorator.args[0].value, set()).update(found_in_file)
    wrong = {rule: (cwe, truth.get(rule)) for rule, cwe in RULE_CWE.items() if cwe not in truth.get(rule, set())}
    assert wrong == {}


@pytest.mark.parametrize("status", [Status.timeout, Status.oom, Status.output_limit])
def test_a_memcheck_run_stopped_before_its_end_is_a_finding_not_a_clean_program(status):
    from codeforge.analyzers import memcheck

    stopped = Result(id="m", status=status, exit_code=None, details={})
    (finding,) = memcheck.findings(stopped, "int main(void) { for (;;); }\n", "main.c")
    assert finding.rule == status.value and finding.severity is Severity.high
    assert "not checked to the end" in finding.message


GO_PANIC = ("=== RUN   TestF\n--- FAIL: TestF (0.00s)\npanic: runtime error: index out of range [6] with length 1 "
            "[recovered]\n\tpanic: runtime error: index out of range [6] with length 1\n\ngoroutine 18 [running]:\n"
            "testing.tRunner.func1.2({0x5bbc40, 0xc0000de228})\n"
            "\t/usr/lib/go-1.19/src/testing/testing.go:1396 +0x24e\n"
            "job.F(...)\n\t/sandbox/1-647faf34a29a/gopath/src/job/main.go:11\n"
            "job.TestF(0x0?)\n\t/sandbox/1-647faf34a29a/gopath/src/job/main_test.go:10 +0x27\n")
GO_WRONG = ("=== RUN   TestF\n    main_test.go:10: \n        \tError Trace:\t"
            "/sandbox/1-bda3b8703cbb/gopath/src/job/main_test.go:10\n        \tError:      \tNot equal: \n"
            "--- FAIL: TestF (0.00s)\n")


def go_failure(output: str) -> Result:
    return Result(id="t", status=Status.failed, stdout=output + "FAIL\tjob\t0.007s\n",
                  details={"tests": [{"name": "TestF", "outcome": "failed", "output": output}],
                           "error": "1 of 1 tests did not pass: TestF"})


def test_a_failed_test_points_at_the_programs_line_never_at_the_test_files():
    from codeforge.analyzers.tests import findings

    code = "\n".join(f"line {n}" for n in range(1, 21))
    [panic] = findings(go_failure(GO_PANIC), code, Language.go)
    assert (panic.file, panic.line, panic.code_line) == ("main.go", 11, "line 11")  # not main_test.go:10
    [wrong] = findings(go_failure(GO_WRONG), code, Language.go)
    assert (wrong.line, wrong.code_line) == (None, "")  # the test file's line 10 is not main.go's


def test_the_tests_finding_tells_the_failure_as_bench_show_does_with_the_reason_first():
    """One reading of a failed run: the analyzer's message is the harness's reason, then bench show's text."""
    from codeforge.analyzers.tests import findings
    from codeforge.bench.failure import failure_cause
    from codeforge.store import Execution

    code = "def f(xs):\n    return g(xs)\n\ndef g(xs):\n    return xs[5]\n"
    stderr = ('Traceback (most recent call last):\n  File "check.py", line 27, in <module>\n    check(f)\n'
              '  File "check.py", line 19, in check\n    assert candidate([1]) == 1\n'
              '  File "solution.py", line 2, in f\n    return g(xs)\n  File "solution.py", line 5, in g\n'
              '    return xs[5]\n           ~~^^^\nIndexError: list index out of range\n')
    result = Result(id="t", status=Status.failed, stderr=stderr,
                    details={"tests": [{"name": "check.py", "outcome": "failed"}],
                             "error": "IndexError: list index out of range"})
    [failed] = findings(result, code, Language.python)
    shown = failure_cause(Execution("tests", "failed", False, 0.1, json.loads(result.to_json())), code)
    assert failed.message == "the tests failed: IndexError: list index out of range\n" + shown
    assert "check(f)" not in failed.message and "(2 frames of the test harness not shown)" in failed.message
    assert (failed.line, failed.code_line) == (5, "return xs[5]")
