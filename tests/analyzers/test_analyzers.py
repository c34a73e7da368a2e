"""Each analyzer on programs with known findings and on clean ones, in the real sandbox."""

from __future__ import annotations

import pytest
from analyzer_fixtures import (BROKEN_PYTHON, CLEAN_C, CLEAN_GO, CLEAN_PYTHON, GO_PRINTF_MISUSE, GO_STATICCHECK,
                               INSECURE_PYTHON, INSECURE_RULES, MEMORY_ERRORS_C)

from codeforge.analyzers import ANALYZERS, Finding, Severity, Tool, analyze
from codeforge.sandbox import Job
from codeforge.tasks.base import JobSpec
from codeforge.vocabulary import Action, Language

pytestmark = pytest.mark.docker


def test_bandit_reports_every_finding_of_an_insecure_file_with_its_line_and_cwe(sandbox):
    found = analyze(INSECURE_PYTHON, Language.python, ["bandit"], sandbox)
    assert {f.rule: f.line for f in found} == INSECURE_RULES  # B101 (the assert) is skipped
    shell = next(f for f in found if f.rule == "B602")
    assert shell.severity is Severity.high and shell.cwe == 78
    assert shell.code_line == "subprocess.call(command, shell=True)"
    assert all(f.tool is Tool.bandit and f.file == "main.py" for f in found)


def test_bandit_finds_nothing_in_a_clean_file_and_a_syntax_error_is_a_finding(sandbox):
    assert analyze(CLEAN_PYTHON, Language.python, ["bandit"], sandbox) == []
    [broken] = analyze(BROKEN_PYTHON, Language.python, ["bandit"], sandbox)
    assert (broken.rule, broken.severity, broken.line) == ("syntax-error", Severity.high, 2)


def test_bandit_can_be_told_to_keep_assert_used(sandbox):
    from codeforge.analyzers.bandit import Bandit

    assert [f.rule for f in Bandit(skip=frozenset()).analyze(CLEAN_PYTHON, Language.python, sandbox)] == ["B101"]


def test_memcheck_reports_each_memory_error_of_a_program_that_exits_0(sandbox):
    ran = sandbox.run(Job(id="exit", language="c", source=MEMORY_ERRORS_C, action=Action.run))
    assert ran.exit_code == 0
    found = analyze(MEMORY_ERRORS_C, Language.c, ["memcheck"], sandbox)
    assert {(f.rule, f.line) for f in found} == {("InvalidRead", 8), ("Leak_DefinitelyLost", 9),
                                                 ("UninitCondition", 13)}
    leak = next(f for f in found if f.rule == "Leak_DefinitelyLost")
    assert leak.code_line == "int *lost = malloc(10 * sizeof(int));" and leak.cwe == 401
    assert analyze(CLEAN_C, Language.c, ["memcheck"], sandbox) == []
    assert analyze(CLEAN_C.replace("int main", "int main(void) { nope; }\nint other"), Language.cpp, None,
                   sandbox)[0].rule == "compile-error"


def test_go_vet_finds_printf_misuse_and_staticcheck_its_checks(sandbox):
    vet = analyze(GO_PRINTF_MISUSE, Language.go, ["go-vet"], sandbox)
    assert [(f.tool, f.rule, f.line) for f in vet] == [(Tool.go_vet, "printf", 7)]
    assert "%d" in vet[0].message and vet[0].code_line == 'fmt.Printf("%d\\n", name)'
    static = analyze(GO_STATICCHECK, Language.go, ["staticcheck"], sandbox)
    assert {(f.rule, f.line) for f in static} == {("SA4006", 8), ("S1005", 10)}
    assert {f.rule: f.severity for f in static} == {"SA4006": Severity.medium, "S1005": Severity.low}


def test_clean_go_has_no_finding_and_go_that_does_not_compile_has_one(sandbox):
    assert analyze(CLEAN_GO, Language.go, None, sandbox) == []
    found = analyze("package main\n\nfunc main() { undefined() }\n", Language.go, ["go-vet", "staticcheck"], sandbox)
    assert {(f.tool, f.rule, f.line) for f in found} == {(Tool.go_vet, "compile-error", 3),
                                                         (Tool.staticcheck, "compile-error", 3)}


class Task:
    """The one thing the tests analyzer asks of a task: its test job."""

    def __init__(self, check: str):
        self.check = check

    def test_job(self, code: str) -> JobSpec:
        from codeforge.tasks.base import python_check

        return python_check(code, self.check, 10.0)


ADD_CHECK = "def check(candidate):\n    assert candidate(2, 3) == 5, 'add(2, 3) should be 5'\n\ncheck(add)\n"


def test_the_tests_analyzer_reports_a_failing_run_once_with_its_assertion(sandbox):
    task = Task(ADD_CHECK)
    [failed] = analyze("def add(a, b):\n    return a - b\n", Language.python, ["tests"], sandbox, task=task)
    assert (failed.tool, failed.rule, failed.severity) == (Tool.tests, "test-failed", Severity.high)
    assert "add(2, 3) should be 5" in failed.message and "AssertionError" in failed.message
    assert analyze("def add(a, b):\n    return a + b\n", Language.python, ["tests"], sandbox, task=task) == []
    assert analyze("def add(a, b):\n    return a - b\n", Language.python, ["tests"], sandbox) == []  # no task


def test_the_analyzers_for_a_language_share_one_run_and_name_the_callers_file(sandbox):
    found = analyze(INSECURE_PYTHON, "python", None, sandbox, task=Task("assert run\n"), file="app.py")
    assert [f.tool for f in found] == [Tool.bandit] * len(INSECURE_RULES) + [Tool.tests]
    assert "No module named" in found[-1].message  # the image has neither requests nor yaml
    assert all(f.file == "app.py" for f in found)
    assert set(ANALYZERS) == set(Tool)
