"""The repair prompt and the rule that keeps a patch, on findings built in memory."""

from __future__ import annotations

import pytest

from codeforge.analyzers.base import Finding, Severity, Tool
from codeforge.repair.config import RepairConfig
from codeforge.repair.loop import Check, Program, decide, severity_counts
from codeforge.repair.prompt import base_repair_prompt, chat_repair_prompt, findings_text
from codeforge.sandbox.jobs import Result, Status
from codeforge.vocabulary import Language, RejectReason


def finding(tool=Tool.bandit, rule="B307", severity=Severity.medium, line=3, cwe=78, message="eval is unsafe"):
    return Finding(tool, rule, severity, "HIGH", cwe, "main.py", line, message, "return eval(x)")


def run_result(passed: bool) -> Result:
    return Result(id="t", status=Status.passed if passed else Status.failed, exit_code=0 if passed else 1,
                  stdout="", stderr="", duration_s=0.1)


class TaskLike:
    prompt = "def f(x):\n    '''The task.'''\n"
    entry_point = "f"


PROGRAM = Program("t/1", 0, Language.python, "def f(x):\n    return eval(x)\n", task=None)
TASK_PROGRAM = Program("t/1", 0, Language.python, PROGRAM.code, task=TaskLike())


def test_every_finding_reaches_the_text_grouped_by_tool_most_severe_first():
    found = [finding(rule=f"B{i}", line=i, severity=s) for i, s in
             enumerate([Severity.low, Severity.high, Severity.medium, Severity.low, Severity.high], start=1)]
    found.append(finding(Tool.tests, "test-failed", Severity.high, None, None, "the tests failed\nassert f(1) == 2"))
    text = findings_text(found, max_findings=20)
    assert "found 6 problems" in text and "bandit (5):" in text and "tests (1):" in text
    for i in range(1, 6):
        assert f"line {i} [B{i}," in text
    bandit = text[text.index("bandit (5):"):]
    assert bandit.index("B2,") < bandit.index("B5,") < bandit.index("B3,") < bandit.index("B1,")  # high, medium, low
    assert "CWE-78" in text and "the line: return eval(x)" in text
    assert "    assert f(1) == 2" in text  # a message's later lines stay, indented under it
    assert "not shown" not in text


def test_max_findings_keeps_the_most_severe_and_says_what_was_left_out():
    found = [finding(rule="B1", severity=Severity.low), finding(rule="B2", severity=Severity.high),
             finding(rule="B3", severity=Severity.low), finding(rule="B4", severity=Severity.medium)]
    text = findings_text(found, max_findings=2)
    assert "found 4 problems" in text and "B2," in text and "B4," in text
    assert "B1," not in text and "B3," not in text
    assert "(2 more findings not shown: 2 low)" in text


def test_the_chat_prompt_holds_the_task_the_code_the_findings_and_why_the_last_patch_was_not_kept():
    (message,), prefill = chat_repair_prompt("python", PROGRAM.code, "The analyzers found 1 problem in it:",
                                             TaskLike.prompt, RejectReason.fails_tests)
    content = message["content"]
    assert message["role"] == "user" and "The task.'''" in content and "return eval(x)" in content
    assert "The analyzers found 1 problem" in content and "did not pass the task's tests" in content
    assert "still solves the task" in content and prefill.endswith("```python\n")
    (plain,), _ = chat_repair_prompt("go", "package main\n", "found", None, None)
    assert "The task" not in plain["content"] and "still does what it does now" in plain["content"]


def test_the_base_prompt_comments_the_code_and_findings_and_continues_the_task():
    text, stop = base_repair_prompt("python", PROGRAM.code, "found 1 problem\n- line 2 [B307]", TaskLike.prompt)
    assert "# def f(x):\n#     return eval(x)\n# found 1 problem\n# - line 2 [B307]\n" in text
    assert text.endswith(TaskLike.prompt) and "\ndef " in stop
    whole, stop = base_repair_prompt("c", "int main(void) { return 0; }\n", "found", None, RejectReason.no_code)
    assert "// Your last answer held no code." in whole and "\nint main" in stop


def test_fewer_findings_are_counted_by_severity():
    high, medium, low = (finding(severity=s) for s in (Severity.high, Severity.medium, Severity.low))
    assert severity_counts([high, low, low]) == (1, 0, 2)
    assert severity_counts([low] * 5) < severity_counts([high])  # one high outweighs any number of lows
    assert not severity_counts([medium]) < severity_counts([medium])


@pytest.mark.parametrize("current, patch, tests, expected", [
    ([finding()], [], True, None),  # clean and passing: kept
    ([finding()], [], False, RejectReason.fails_tests),  # clean but breaks the tests: never kept
    ([finding()], [finding(line=9)], True, RejectReason.not_fewer_findings),  # as many: not better
    ([finding(severity=Severity.high)], [finding(severity=Severity.low)] * 3, True, None),  # less severe: kept
])
def test_a_patch_is_kept_only_when_it_passes_and_has_fewer_findings(current, patch, tests, expected):
    assert decide(TASK_PROGRAM, current, "code", Check(run_result(tests), tuple(patch))) is expected


def test_a_patch_without_code_is_not_kept_and_a_file_without_tests_needs_only_fewer_findings():
    assert decide(TASK_PROGRAM, [finding()], None, None) is RejectReason.no_code
    assert decide(PROGRAM, [finding()], "code", Check(None, ())) is None


def test_the_settings_say_what_is_wrong_with_the_input():
    with pytest.raises(ValueError, match="not several"):
        RepairConfig(targets=("a.py",), run="BASE")
    config = RepairConfig(targets=("a.py",), analyzers=("tests", "bandit", "tests"))
    assert config.analyzers == (Tool.tests, Tool.bandit) and config.static_analyzers == (Tool.bandit,)


def test_a_target_is_a_dataset_by_its_name_or_prefix_unless_a_file_has_that_name(tmp_path, monkeypatch):
    from codeforge.repair.session import is_dataset

    assert is_dataset("humaneval") and is_dataset("jsonl:tasks.jsonl") and is_dataset("hub:KodCode/KodCode-V1")
    assert not is_dataset("prog.py")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mbpp").write_text("print(1)\n")
    assert not is_dataset("mbpp")
