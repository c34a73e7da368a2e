"""How runner reports become statuses and details, without Docker."""

from __future__ import annotations

import pytest

from codeforge.sandbox import Job, Status, recipes
from codeforge.sandbox.recipes import c as c_recipe
from codeforge.sandbox.recipes import go as go_recipe


def step(name="run", exit_code=0, **extra):
    report = {"name": name, "exit_code": exit_code, "signal": None, "stdout": "", "stderr": "",
              "stdout_truncated": False, "stderr_truncated": False, "timed_out": False,
              "output_limit": False, "duration_s": 0.01}
    report.update(extra)
    return report


def response(*steps, **extra):
    report = {"steps": list(steps), "artifacts": {}, "oom": False, "anomaly": None, "duration_s": 0.02}
    report.update(extra)
    return report


PY = Job(id="p", language="python", source="print(1)")


@pytest.mark.parametrize("report, status", [
    (response(step(exit_code=0)), Status.passed),
    (response(step(exit_code=1)), Status.failed),
    (response(step(exit_code=137, signal=9)), Status.failed),
    (response(step(exit_code=137, signal=9), oom=True), Status.oom),
    (response(step(exit_code=137, signal=9, timed_out=True)), Status.timeout),
    (response(step(exit_code=137, signal=9, output_limit=True, stdout_truncated=True)), Status.output_limit),
    (response(step(exit_code=0), anomaly="processes of the program survived SIGKILL"), Status.sandbox_error),
    (response(anomaly="could not prepare the work dir"), Status.sandbox_error),
])
def test_status_precedence(report, status):
    assert recipes.interpret(PY, report).status is status


def test_result_carries_the_shown_steps_output_and_the_signal_name():
    result = recipes.interpret(PY, response(step(exit_code=139, signal=11, stdout="partial", stderr="boom",
                                                 stdout_truncated=True)))
    assert (result.stdout, result.stderr, result.exit_code, result.truncated) == ("partial", "boom", 139, True)
    assert result.details["signal"] == "SIGSEGV"
    assert result.details["steps"] == [{"name": "run", "exit_code": 139, "signal": 11, "duration_s": 0.01}]


def test_python_plan_runs_main_in_the_zygote():
    request = recipes.plan(PY, 1024)
    assert request["files"] == {"main.py": "print(1)"} and request["max_output_bytes"] == 1024
    assert request["steps"][0]["python"] == "main.py"


def test_a_python_test_job_gives_the_tests_to_the_harness_and_the_rest_to_the_program():
    job = Job(id="t", language="python", action="test",
              files={"calc.py": "def add(a, b): return a + b", "test_calc.py": "def test(): pass",
                     "conftest.py": "", "data.txt": "1 2"})
    request = recipes.plan(job, 1024)
    assert request["files"] == {"calc.py": "def add(a, b): return a + b", "data.txt": "1 2"}
    assert set(request["tests"]) == {"test_calc.py", "conftest.py", "data.txt"}
    check = request["steps"][0]["check"]
    assert (check["mode"], check["files"], check["main"], check["modules"]) == ("pytest", ["test_calc.py"], "calc",
                                                                                ["calc"])


def test_a_python_job_with_test_scripts_checks_its_solution_module():
    job = Job(id="t", language="python", source="def f(): return 1", tests={"check.py": "assert f() == 1"})
    request = recipes.plan(job, 1024)
    assert job.action.value == "test" and request["files"] == {"solution.py": "def f(): return 1"}
    check = request["steps"][0]["check"]
    assert (check["mode"], check["files"], check["main"]) == ("script", ["check.py"], "solution")
    assert "PYTHONPATH" in check["env"]  # the program's; the runner gives the harness none (check.py)


def check_response(verdict=None, program=None, **report):
    return {"steps": [{"name": "check", "exit_code": 0, "signal": None, "stdout": "", "stderr": "",
                       "verdict": verdict, "program": program or {"exit_code": 0, "signal": None}, **report}],
            "oom": False, "anomaly": None, "duration_s": 0.1}


CHECKED = Job(id="c", language="python", source="x = 1", tests={"check.py": "pass"})


def test_a_checked_run_passes_on_the_harness_verdict_only():
    passed = {"passed": True, "tests": [{"name": "check.py", "outcome": "passed"}], "reason": None}
    assert recipes.interpret(CHECKED, check_response(passed)).status is Status.passed
    claims = {"passed": True, "tests": [], "reason": None}  # no test reported: nothing was checked
    assert recipes.interpret(CHECKED, check_response(claims)).status is Status.failed
    ended = {"passed": False, "tests": [], "reason": "the program ended before the tests finished"}
    result = recipes.interpret(CHECKED, check_response(ended, {"exit_code": 0, "signal": None}))
    assert result.status is Status.failed
    assert result.details["error"] == "the program ended before the tests finished (exit status 0)"
    killed = recipes.interpret(CHECKED, check_response(ended, {"exit_code": 137, "signal": 9}))
    assert killed.details["error"].endswith("(killed by SIGKILL)")
    assert recipes.interpret(CHECKED, check_response(None)).status is Status.sandbox_error
    assert recipes.interpret(CHECKED, check_response(passed, syntax_error=True)).status is Status.compile_error


GO_VERBOSE = """=== RUN   TestA
    main_test.go:5: wrong
--- FAIL: TestA (0.00s)
=== RUN   TestB
=== RUN   TestB/sub
--- PASS: TestB (0.00s)
    --- PASS: TestB/sub (0.00s)
FAIL
"""
PROFILE = "mode: set\njob/main.go:3.24,5.2 1 1\n"
GO_TEST_FILE = "package main\n\nimport \"testing\"\n\nfunc TestA(t *testing.T) {}\n\nfunc TestB(t *testing.T) {}\n"
GO_JOB = Job(id="g", language="go", files={"main.go": "package main"}, tests={"main_test.go": GO_TEST_FILE})


def go_response(test_stdout, profile=PROFILE, test_exit=0, build_exit=0, build_out=""):
    test = step("test", exit_code=test_exit, stdout=test_stdout)
    if profile is not None:
        test["fd3"] = profile
    return response(step("build", exit_code=build_exit, stdout=build_out), test, step("coverage", stdout=COVER))


COVER = "job/main.go:12:\t\tHasCloseElements\t\t100.0%\njob/main.go:30:\t\tOther\t\t50.0%\ntotal:\t\t\t(statements)\t\t75.0%\n"


def test_go_verbose_output_gives_each_tests_outcome_and_output():
    run = go_recipe.parse_verbose(GO_VERBOSE)
    assert run["final"] == "FAIL"
    outcomes = {t["name"]: t["outcome"] for t in run["tests"]}
    assert outcomes == {"TestA": "failed", "TestB": "passed", "TestB/sub": "passed"}
    assert "main_test.go:5: wrong" in run["tests"][0]["output"]
    assert go_recipe.parse_verbose("=== RUN   TestA\n")["final"] is None  # ended before its closing line


def test_go_passes_only_on_every_declared_test_the_closing_pass_and_the_profile():
    passed = "=== RUN   TestA\n--- PASS: TestA (0.00s)\n=== RUN   TestB\n--- PASS: TestB (0.00s)\nPASS\n"
    result = recipes.interpret(GO_JOB, go_response(passed))
    assert result.status is Status.passed and result.details["coverage"]["total"] == 75.0
    one_missing = "=== RUN   TestA\n--- PASS: TestA (0.00s)\nPASS\n"
    missing = recipes.interpret(GO_JOB, go_response(one_missing))
    assert missing.status is Status.failed and "(1 of 2 tests reported)" in missing.details["error"]
    no_profile = recipes.interpret(GO_JOB, go_response(passed, profile=None))
    assert no_profile.status is Status.failed and "coverage" not in no_profile.details
    forged = recipes.interpret(GO_JOB, go_response(passed, profile=PROFILE + PROFILE))
    assert forged.status is Status.failed and "coverage report" in forged.details["error"]
    assert recipes.interpret(GO_JOB, go_response(GO_VERBOSE, test_exit=1)).status is Status.failed


def test_go_statuses_and_coverage():
    parsed = go_recipe.parse_cover_func(COVER)
    assert parsed["total"] == 75.0
    assert parsed["functions"][1] == {"file": "job/main.go", "line": 30, "function": "Other", "percent": 50.0}
    built_failed = go_response("", build_exit=1, build_out="./main.go:3:2: undefined: x")
    assert recipes.interpret(GO_JOB, built_failed).status is Status.compile_error
    hung = "=== RUN   TestA\npanic: test timed out after 3s\n"
    assert recipes.interpret(GO_JOB, go_response(hung, test_exit=2, profile=None)).status is Status.timeout
    run_job = Job(id="r", language="go", action="run", source="package main")
    assert recipes.interpret(run_job, response(step("compile", exit_code=1, stderr="x"))).status is Status.compile_error


def test_go_code_that_reaches_the_test_machinery_fails():
    cheat = Job(id="g", language="go", files={"main.go": 'package main\n\nimport "testing"\n\nvar _ = testing.Short\n'},
                tests={"main_test.go": GO_TEST_FILE})
    passed = "=== RUN   TestA\n--- PASS: TestA (0.00s)\n=== RUN   TestB\n--- PASS: TestB (0.00s)\nPASS\n"
    result = recipes.interpret(cheat, go_response(passed))
    assert result.status is Status.failed and "testing package outside its tests" in result.details["error"]
    assert "coverage" not in result.details


VALGRIND = """<?xml version="1.0"?><valgrindoutput>
<error><unique>0x0</unique><tid>1</tid><kind>InvalidRead</kind><what>Invalid read of size 4</what>
<stack><frame><ip>0x1</ip><obj>/lib/libc.so</obj><fn>printf</fn></frame>
<frame><ip>0x2</ip><obj>/w/prog</obj><fn>main</fn><dir>/w</dir><file>main.c</file><line>8</line></frame></stack></error>
<error><unique>0x1</unique><tid>1</tid><kind>Leak_DefinitelyLost</kind>
<xwhat><text>100 bytes in 1 blocks are definitely lost in loss record 1 of 1</text><leakedbytes>100</leakedbytes></xwhat>
<stack><frame><ip>0x3</ip><obj>/lib/vgpreload.so</obj><fn>malloc</fn></frame></stack></error>
</valgrindoutput>"""


def test_valgrind_report_parsing_and_status():
    errors = c_recipe.parse_valgrind_xml(VALGRIND)
    assert errors[0] == {"kind": "InvalidRead", "message": "Invalid read of size 4",
                         "frame": {"function": "main", "file": "main.c", "line": 8, "object": "/w/prog"}}
    assert errors[1]["kind"] == "Leak_DefinitelyLost" and errors[1]["frame"]["function"] == "malloc"
    assert c_recipe.parse_valgrind_xml("<broken") is None
    job = Job(id="c", language="c", source="int main(){}")
    report = response(step("compile"), step("memcheck", exit_code=0), artifacts={c_recipe.REPORT: VALGRIND})
    result = recipes.interpret(job, report)
    assert result.status is Status.memory_error and len(result.details["memory_errors"]) == 2
    clean = response(step("compile"), step("memcheck"), artifacts={c_recipe.REPORT: "<valgrindoutput/>"})
    assert recipes.interpret(job, clean).status is Status.passed
    unreadable = response(step("compile"), step("memcheck"), artifacts={c_recipe.REPORT: None})
    assert recipes.interpret(job, unreadable).status is Status.failed
    compile_error = recipes.interpret(job, response(step("compile", exit_code=1, stderr="error: x")))
    assert compile_error.status is Status.compile_error and compile_error.details["compiler"] == "error: x"


def test_a_python_script_that_does_not_compile_is_a_compile_error_and_a_raised_syntax_error_a_failure():
    said = "  File \"main.py\", line 1\n    def f(:\n          ^\nSyntaxError: invalid syntax\n"
    rejected = recipes.interpret(PY, response(step(exit_code=1, stderr=said, syntax_error=True)))
    assert rejected.status is Status.compile_error and rejected.stderr == said
    raised = recipes.interpret(PY, response(step(exit_code=1, stderr="SyntaxError: invalid syntax\n")))
    assert raised.status is Status.failed
    slow = recipes.interpret(PY, response(step(exit_code=137, signal=9, timed_out=True, syntax_error=True)))
    assert slow.status is Status.timeout


def test_tests_that_did_not_run_do_not_pass():
    go_job = Job(id="g", language="go", files={"add.go": "package main"}, action="test")
    result = recipes.interpret(go_job, go_response("", profile=None, build_out="?   \tjob\t[no test files]\n"))
    assert result.status is Status.failed and result.details["error"].startswith("no tests ran")
    test_job = Job(id="t", language="python", action="test", files={"test_a.py": "x = 1"})
    none_ran = {"passed": False, "tests": [], "reason": "no tests ran"}
    collected_none = recipes.interpret(test_job, check_response(none_ran))
    assert collected_none.status is Status.failed and collected_none.details["error"].startswith("no tests ran")


def test_a_signal_is_named_as_linux_numbers_it_whatever_the_host():
    result = recipes.interpret(PY, response(step(exit_code=135, signal=7)))
    assert (result.details["signal"], result.details["signal_number"]) == ("SIGBUS", 7)  # 10 on macOS
    assert recipes.interpret(PY, response(step(exit_code=162, signal=34))).details["signal"] == "signal 34"


FATAL = """<?xml version="1.0"?><valgrindoutput><fatal_signal><tid>1</tid><signo>11</signo><signame>SIGSEGV</signame>
<sicode>1</sicode><event>Access not within mapped region</event><siaddr>0x0</siaddr><stack>
<frame><ip>0x1</ip><obj>/w/prog</obj><fn>main</fn><dir>/w</dir><file>seg.c</file><line>2</line></frame>
</stack></fatal_signal></valgrindoutput>"""


def test_valgrind_says_where_a_fatal_signal_hit():
    job = Job(id="c", language="c", files={"seg.c": "int main(){}"})
    report = response(step("compile"), step("memcheck", exit_code=139, signal=11), artifacts={c_recipe.REPORT: FATAL})
    result = recipes.interpret(job, report)
    assert result.details["fatal_signal"] == {
        "signal": "SIGSEGV", "number": 11, "event": "Access not within mapped region", "address": "0x0",
        "frame": {"function": "main", "file": "seg.c", "line": 2, "object": "/w/prog"}}
    assert c_recipe.parse_fatal_signal(VALGRIND) is None


@pytest.mark.parametrize("language, action, name, fields, inside", [
    ("python", None, "add.py", {"source": "x"}, "main.py"),
    ("python", "test", "test_add.py", {"files": {"test_add.py": "x"}}, "test_add.py"),
    ("go", "run", "add.go", {"files": {"add.go": "x"}}, "add.go"),
    ("c", None, "seg.c", {"files": {"seg.c": "x"}}, "seg.c"),
    ("cpp", "run", "vec.cc", {"files": {"vec.cc": "x"}}, "vec.cc"),
    ("c", None, "prog.txt", {"source": "x"}, "main.c"),  # the compiler would not take it by its name
])
def test_one_file_keeps_its_name_where_the_recipe_finds_it_by_name(language, action, name, fields, inside):
    from codeforge.vocabulary import Action, Language

    body, sandbox_name = recipes.one_file(Language(language), Action(action) if action else None, name, "x")
    assert (body, sandbox_name) == (fields, inside)


LEAK_FROM_MALLOC = """<?xml version="1.0"?><valgrindoutput>
<error><unique>0x1</unique><tid>1</tid><kind>Leak_DefinitelyLost</kind>
<xwhat><text>40 bytes in 1 blocks are definitely lost in loss record 1 of 1</text></xwhat>
<stack><frame><ip>0x3</ip><obj>/usr/libexec/valgrind/vgpreload_memcheck-amd64-linux.so</obj><fn>malloc</fn>
<dir>./coregrind/m_replacemalloc</dir><file>vg_replace_malloc.c</file><line>393</line></frame>
<frame><ip>0x4</ip><obj>/w/prog</obj><fn>make</fn><dir>/w</dir><file>main.c</file><line>5</line></frame>
</stack></error></valgrindoutput>"""


def test_a_leak_or_bad_free_names_the_programs_line_not_valgrinds_malloc():
    [leak] = c_recipe.parse_valgrind_xml(LEAK_FROM_MALLOC)
    assert leak["frame"] == {"function": "make", "file": "main.c", "line": 5, "object": "/w/prog"}


def test_an_analyze_job_hands_back_each_tools_output_and_a_missing_tool_is_a_sandbox_error():
    job = Job(id="a", language="go", source="package main\n", action="analyze")
    plan = recipes.plan(job, 1000)
    assert [s["name"] for s in plan["steps"]] == ["vet", "staticcheck"]
    assert all("sh" not in s["argv"][0] for s in plan["steps"])
    ran = recipes.interpret(job, response(step("vet", exit_code=0, stderr="{}"), step("staticcheck", exit_code=1,
                                                                                         stdout='{"code":"SA4006"}')))
    assert ran.status is Status.passed and ran.details["tools"]["staticcheck"]["stdout"] == '{"code":"SA4006"}'
    missing = recipes.interpret(job, response(step("vet"), step("staticcheck", exit_code=127)))
    assert missing.status is Status.sandbox_error
    assert "codeforge sandbox build go" in missing.details["sandbox"]
    python = Job(id="p", language="python", source="x = 1\n", action="analyze")
    assert recipes.plan(python, 1000)["steps"][0]["argv"][:3] == ["bandit", "-f", "json"]
    with pytest.raises(ValueError, match="does not apply to c"):
        Job(id="c", language="c", source="int main(){}", action="analyze")
