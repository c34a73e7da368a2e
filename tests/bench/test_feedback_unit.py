"""What a model is told about a failed answer: the failure in its own code, not the harness's internals."""

from __future__ import annotations

from codeforge.bench.feedback import FeedbackSource, feedback_text, without_harness_frames
from codeforge.store import Execution

HARNESS_ONLY = """Traceback (most recent call last):
  File "main.py", line 26, in <module>
    assert _codeforge_same(_got, _expected), 'add(1, 2) returned ' + _codeforge_show(_got) + ', expected ' + _codeforge_show(_expected)
AssertionError: add(1, 2) returned -1, expected 3"""

IN_THE_CODE = """Traceback (most recent call last):
  File "main.py", line 26, in <module>
    _got = add(1, 2)
  File "main.py", line 3, in add
    return a / 0
           ~~^~~
ZeroDivisionError: division by zero"""


def test_a_failed_example_is_told_as_the_call_what_came_back_and_what_was_expected():
    visible = Execution("visible", "failed", False, 0.1, {"stderr": HARNESS_ONLY, "stdout": ""})
    tests = Execution("tests", "failed", False, 0.1, {"stderr": "", "stdout": ""})
    text = feedback_text(FeedbackSource.visible, {"visible": visible, "tests": tests})
    assert text == "The code fails:\nAssertionError: add(1, 2) returned -1, expected 3"
    assert "_codeforge" not in text


def test_frames_of_the_models_code_stay():
    assert without_harness_frames(IN_THE_CODE) == IN_THE_CODE


def test_text_that_is_no_traceback_is_left_alone():
    assert without_harness_frames("expected 3, got 4\n  indented detail") == "expected 3, got 4\n  indented detail"
