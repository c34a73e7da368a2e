"""The Go `unittest` action without Docker: the job's shape, its steps, and how a run becomes details."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from codeforge.sandbox import Job, Status, recipes
from codeforge.sandbox.recipes import gounit
from codeforge.vocabulary import Action
from tests.sandbox.test_recipes_unit import response, step

PACKAGE = {"calc.go": "package calc\n\nfunc Abs(x int) int {\n\tif x < 0 {\n\t\treturn -x\n\t}\n\treturn x\n}\n\n"
                      "type Counter struct{ n int }\n\nfunc (c *Counter) Add(d int) int {\n\tc.n += d\n"
                      "\treturn c.n\n}\n"}
TEST = "package calc\n\nimport \"testing\"\n\nfunc TestAbs(t *testing.T) {}\n\nfunc TestMore(t *testing.T) {}\n"
COVER = ("job/calc.go:3:\t\tAbs\t\t66.7%\njob/calc.go:12:\t\tAdd\t\t100.0%\n"
         "total:\t\t\t(statements)\t\t80.0%\n")
PROFILE = "mode: set\njob/calc.go:3.21,4.12 1 1\njob/calc.go:4.12,6.3 1 0\njob/calc.go:7.2,7.10 1 1\n"
PASSING = "=== RUN   TestAbs\n--- PASS: TestAbs (0.00s)\n=== RUN   TestMore\n--- PASS: TestMore (0.00s)\nPASS\n"


def job(test=TEST, function="Abs") -> Job:
    return Job(id="u", language="go", action="unittest", files=PACKAGE, tests={"calc_test.go": test},
               function=function)


def run(test_stdout=PASSING, profile=PROFILE, test_exit=0, rewritten=TEST, build_exit=0, **test_extra):
    test = step("test", exit_code=test_exit, stdout=test_stdout, **test_extra)
    if profile is not None:
        test["fd3"] = profile
    return response(step("goimports", stdout=rewritten), step("build", exit_code=build_exit, stderr="no"),
                    step("vet", stderr="# job\n{}\n"), test, step("coverage", stdout=COVER))


@pytest.mark.parametrize("fields, message", [
    ({"function": "Abs"}, "add action unittest"),
    ({"action": "unittest", "tests": {"calc_test.go": TEST}}, "needs `function`"),
    ({"action": "unittest", "function": "Abs"}, "the one candidate test file"),
    ({"action": "unittest", "function": "Abs", "tests": {"a_test.go": TEST, "b_test.go": TEST}}, "the one candidate"),
    ({"action": "unittest", "function": "Abs", "tests": {"calc_test.go": TEST},
      "files": {**PACKAGE, "old_test.go": TEST}}, "its only test is the candidate"),
    ({"action": "unittest", "function": "Abs(", "tests": {"calc_test.go": TEST}}, "as Name or Type.Method"),
])
def test_a_unittest_job_is_one_candidate_test_and_a_function(fields, message):
    with pytest.raises(ValidationError, match=message):
        Job(**{"id": "u", "language": "go", "files": PACKAGE, **fields})
    with pytest.raises(ValidationError, match="only go"):
        Job(id="u", language="python", source="x = 1", action="unittest", tests={"t_test.go": ""}, function="f")
    assert job(function="(*Counter).Add").action is Action.unittest


def test_the_plan_fixes_imports_and_builds_on_the_tests_side_and_runs_the_binary_as_the_program():
    plan = recipes.plan(job(), 1 << 20)
    names = [(s["name"], s.get("as")) for s in plan["steps"]]
    assert names == [("goimports", "tests"), ("build", "tests"), ("vet", "tests"), ("test", None),
                     ("coverage", "tests")]
    assert plan["steps"][0]["argv"][-1] == "calc_test.go"  # an argument, never part of the script
    assert "gopath/src/job/calc_test.go" in plan["tests"] and "gopath/src/job/calc_test.go" not in plan["files"]
    assert plan["steps"][3]["capture_fd3"] and "-test.coverprofile=/dev/fd/3" in plan["steps"][3]["argv"]


def test_a_passing_test_succeeds_with_the_function_coverage():
    result = recipes.interpret(job(), run())
    details = result.details
    assert result.status is Status.passed
    assert (details["runnable"], details["succeeded"], details["all_passed"]) == (True, True, True)
    assert (details["tests_declared"], details["tests_passed"], details["tests_failed"]) == (2, 2, 0)
    assert details["function_coverage"] == pytest.approx(0.667) and details["total_coverage"] == 0.8
    assert details["vet"] == {"exit_code": 0, "output": "# job\n{}\n"} and not details["goimports_changed"]


def test_goimports_text_is_what_counts_and_its_diff_is_kept():
    fixed = TEST.replace('import "testing"', 'import (\n\t"fmt"\n\t"testing"\n)')
    details = recipes.interpret(job(), run(rewritten=fixed)).details
    assert details["test_source"] == fixed and details["goimports_changed"]
    assert '+\t"fmt"' in details["goimports_diff"]


def test_a_skipped_test_succeeds_but_not_all_pass():
    skipped = PASSING.replace("--- PASS: TestMore", "--- SKIP: TestMore")
    details = recipes.interpret(job(), run(skipped)).details
    assert (details["succeeded"], details["all_passed"], details["tests_skipped"]) == (True, False, 1)


@pytest.mark.parametrize("name, report", [
    ("a test fails", run(PASSING.replace("--- PASS: TestMore", "--- FAIL: TestMore").replace("PASS\n", "FAIL\n")
                         .replace("--- FAIL: TestMore", "--- FAIL: TestMore"), test_exit=1)),
    ("a subtest fails", run(PASSING.replace("=== RUN   TestMore\n", "=== RUN   TestMore\n=== RUN   TestMore/x\n"
                                            "    --- FAIL: TestMore/x (0.00s)\n"))),
    ("exit 0 without the profile", run(profile=None)),
    ("a printed PASS after a panic", run("=== RUN   TestAbs\npanic: unexpected call to os.Exit(0) during test\n"
                                         "PASS\n", profile=None, test_exit=2)),
    ("one declared test never reported", run(PASSING.replace("=== RUN   TestMore\n--- PASS: TestMore (0.00s)\n", ""))),
    ("exit 1 with every PASS line", run(test_exit=1)),
])
def test_only_the_testing_packages_own_evidence_succeeds(name, report):
    details = recipes.interpret(job(), report).details
    assert details["runnable"] and not details["succeeded"] and not details["all_passed"], name


def test_a_failing_run_still_counts_its_coverage():
    failing = PASSING.replace("--- PASS: TestMore", "--- FAIL: TestMore").replace("\nPASS\n", "\nFAIL\n")
    details = recipes.interpret(job(), run(failing, test_exit=1)).details
    assert details["runnable"] and not details["succeeded"]
    assert details["function_coverage"] == pytest.approx(0.667) and details["tests_failed"] == 1


def test_a_profile_the_test_wrote_to_counts_for_nothing():
    forged = "mode: set\njob/calc.go:4.12,6.3 1 1\n" + PROFILE
    result = recipes.interpret(job(), run(profile=forged))
    assert result.status is Status.failed and not result.details["succeeded"]
    assert result.details["function_coverage"] is None and "not the testing package's own" in result.details["error"]


@pytest.mark.parametrize("report, status", [
    (response(step("goimports", exit_code=2, stderr="calc_test.go:3:1: expected declaration")), Status.compile_error),
    (response(step("goimports", stdout=TEST), step("build", exit_code=2, stderr="undefined: Abz")),
     Status.compile_error),
    (run(timed_out=True, test_exit=137, signal=9), Status.timeout),
    (run("=== RUN   TestAbs\npanic: test timed out after 5s\n", profile=None, test_exit=2), Status.timeout),
    (run(output_limit=True, stdout_truncated=True), Status.output_limit),
])
def test_what_cannot_run_is_not_runnable(report, status):
    result = recipes.interpret(job(), report)
    assert result.status is status and not result.details["runnable"]
    if status is Status.compile_error:
        assert result.stderr  # the tool's own message


@pytest.mark.parametrize("line", [
    'import "unsafe"', 'import r "reflect"', "var _ = reflect.ValueOf(os.Stdout).Elem()", 'import "syscall"',
    'import "os/exec"', 'import "flag"',
    'import "golang.org/x/sys/unix"', "var f = os.NewFile(3, \"p\")", "func init() { *os.Stdout = *os.Stderr }",
    "func TestMain(m *testing.M) { m.Run() }", "var _ = GoCover_0_313233.Count", "//go:linkname x runtime.x",
    "var _ = testing.RegisterCover",
])
def test_a_test_that_reaches_what_scores_it_is_not_runnable(line):
    test = TEST + "\n" + line + "\n"
    result = recipes.interpret(job(test), run(rewritten=test))
    assert not result.details["runnable"] and result.status is Status.failed and "may not take part" in \
        result.details["error"]


def test_capturing_the_standard_output_and_comparing_with_reflect_are_allowed():
    assert gounit.forbidden_test("old := os.Stdout\nos.Stdout = w\ndefer func() { os.Stdout = old }()\n") == ""
    assert gounit.forbidden_test('import (\n\t"os"\n\t"reflect"\n)\nvar _ = reflect.DeepEqual(1, 1)\n') == ""


@pytest.mark.parametrize("function, share", [("Abs", 0.667), ("Counter.Add", 1.0), ("(*Counter).Add", 1.0),
                                             ("Add", 1.0), ("Missing", None)])
def test_the_function_under_test_is_found_where_it_is_declared(function, share):
    coverage = {"functions": [{"file": "job/calc.go", "line": 3, "function": "Abs", "percent": 66.7},
                              {"file": "job/calc.go", "line": 12, "function": "Add", "percent": 100.0}]}
    found = gounit.function_share(coverage, function, PACKAGE)
    assert found == (pytest.approx(share) if share is not None else None)
