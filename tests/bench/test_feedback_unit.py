"""What a model is told about a failed answer: the failure in its own code, not the harness's internals."""

from __future__ import annotations

from codeforge.bench.feedback import FeedbackSource, feedback_text
from codeforge.store import Execution

HARNESS_ONLY = """Traceback (most recent call last):
  File "main.py", line 26, in <module>
    assert _codeforge_same(_got, _expected), 'add(1, 2) returned ' + _codeforge_show(_got) + ', expected ' + _codeforge_show(_expected)
AssertionError: add(1, 2) returned -1, expected 3"""

IN_THE_CODE = """Traceback (most recent call last):
  File "main.py", line 26, in <module>
    assert _codeforge_same(_got, _expected), 'add(1, 2) returned ' + _codeforge_show(_got)
  File "main.py", line 3, in add
    return a / 0
           ~~^~~
ZeroDivisionError: division by zero"""

CODE = "def add(a, b):\n    c = 1\n    return a / 0\n"


def told(stderr: str) -> str:
    visible = Execution("visible", "failed", False, 0.1, {"stderr": stderr, "stdout": ""})
    tests = Execution("tests", "failed", False, 0.1, {"stderr": "", "stdout": ""})
    return feedback_text(FeedbackSource.visible, {"visible": visible, "tests": tests}, code=CODE)


def test_a_failed_example_is_told_as_the_call_what_came_back_and_what_was_expected():
    text = told(HARNESS_ONLY)
    assert text.startswith("The code fails:\n")
    assert text.endswith("AssertionError: add(1, 2) returned -1, expected 3")
    assert "_codeforge" not in text


def test_frames_of_the_models_code_stay_and_the_harness_frames_go():
    text = told(IN_THE_CODE)
    assert 'File "main.py", line 3, in add\n    return a / 0' in text
    assert "ZeroDivisionError: division by zero" in text and "_codeforge" not in text


def test_go_feedback_names_the_files_not_the_sandboxs_work_dir():
    output = ("    main_test.go:10: \n        \tError Trace:\t/sandbox/1-bda3b8703cbb/gopath/src/job/main_test.go:10\n"
              "        \tError:      \tNot equal")
    result = {"stderr": "", "stdout": "", "details": {"tests": [{"name": "TestAdd", "outcome": "failed",
                                                                 "output": output}]}}
    tests = Execution("tests", "failed", False, 0.1, result)
    text = feedback_text(FeedbackSource.hidden, {"tests": tests})
    assert "Error Trace:\tmain_test.go:10" in text and "/sandbox/" not in text
    again = {**result, "details": {"tests": [{**result["details"]["tests"][0],
                                             "output": output.replace("1-bda3b8703cbb", "7-0123456789ab")}]}}
    assert feedback_text(FeedbackSource.hidden, {"tests": Execution("tests", "failed", False, 0.1, again)}) == text


def test_an_answer_without_code_to_a_unit_test_task_is_asked_for_the_test_file():
    from codeforge.bench.feedback import FeedbackSource, feedback_text
    from codeforge.store import NO_CODE
    from codeforge.store.db import Execution
    from codeforge.vocabulary import Purpose

    executions = {Purpose.tests: Execution("tests", NO_CODE, False, 0.0, {})}
    assert "complete test file" in feedback_text(FeedbackSource.visible, executions, "sorry", answer="test")
    assert "complete program" in feedback_text(FeedbackSource.visible, executions, "sorry")
