"""What a model is told about a failed answer before it tries again (`--chain`).

Two sources, recorded with every sample and every run:
- `visible`: built from running the answer against the examples the prompt itself shows (HumanEval's
  docstring examples, MBPP's first test, HumanEval-X's example tests), so it says nothing the model was not
  already shown, beyond syntax, compile and runtime errors of its own code. Whether a sample goes on to
  another round still follows the benchmark's verdict, as in the research's chain: a failed sample whose
  examples pass is told only that it is wrong on other inputs.
- `hidden`: built from the benchmark's own tests (the failing assertion, its input, the traceback). This is
  oracle feedback: scores after round 0 are then not comparable with plain pass@k, and every table and
  export marks them.
"""

from __future__ import annotations

from enum import Enum
from typing import Optional

from ..sandbox.failure import clean_paths, failing_tests_output, memory_errors, python_frames
from ..store import NO_CODE, Execution
from ..vocabulary import Purpose

MAX_CHARS = 2000  # of tool output quoted back to the model: the end of a traceback is what matters


class FeedbackSource(str, Enum):
    visible = "visible"
    hidden = "hidden"


def purpose_for(source: FeedbackSource) -> Purpose:
    """Which stored execution a feedback source reads: the benchmark's tests or the visible examples."""
    return Purpose.tests if source is FeedbackSource.hidden else Purpose.visible


def _tail(text: str, limit: int = MAX_CHARS) -> str:
    text = text.strip()
    return text if len(text) <= limit else "...\n" + text[-limit:]


def _test_output(result: dict, code: Optional[str]) -> str:
    """The useful part of a run's output: failing Go tests' own output, else stderr, else stdout."""
    outputs = failing_tests_output(result.get("details") or {})
    if outputs:  # the work dir's name differs in every run: the same failure must read the same
        return clean_paths("\n".join(outputs))
    return clean_paths(python_frames((result.get("stderr") or "").strip() or (result.get("stdout") or "").strip(),
                                     code))


def describe(execution: Optional[Execution], raw_output: str = "", code: Optional[str] = None,
             answer: str = "program") -> str:
    """What went wrong, in words a model can act on (`answer`: what the task asks for, a program or a test file)."""
    if execution is None:
        return "The answer could not be checked."
    status, result = execution.status, execution.result
    if status == NO_CODE:
        wanted = "test file" if answer == "test" else "program"
        return (f"The answer contained no code. Answer with the complete {wanted} in one fenced code block."
                + (f"\nThe answer was:\n{_tail(raw_output, 600)}" if raw_output.strip() else ""))
    if status == "passed":
        return ("The code passes the examples shown in the problem but is wrong for other inputs. Re-read the "
                "problem statement and check edge cases.")
    if status == "timeout":
        return (f"The code did not finish within the time limit ({result.get('duration_s', 0):.0f} s): an endless "
                "loop, a call that waits for input, or an algorithm that is too slow.")
    if status == "oom":
        return "The code ran out of memory and was killed."
    if status == "output_limit":
        return "The code printed far too much output and was stopped."
    if status == "compile_error":
        output = _test_output(result, code)
        if "SyntaxError" in output or "IndentationError" in output:
            return "The code has a syntax error:\n" + _tail(output)
        return "The code does not compile:\n" + _tail(output)
    if status == "memory_error":
        errors = memory_errors(result.get("details") or {}, limit=5, functions=False)
        return "The code has memory errors (Valgrind):\n" + errors
    output = _test_output(result, code)
    if "SyntaxError" in output or "IndentationError" in output:
        return "The code has a syntax error:\n" + _tail(output)
    error = (result.get("details") or {}).get("error")
    if "function_coverage" in (result.get("details") or {}) and error:  # a unit test: the scorer says what is wrong
        return f"The tests are not good yet: {error}." + (f"\n{_tail(output)}" if output else "")
    return "The code fails:\n" + _tail(output) if output else "The code fails (no output)."


def feedback_text(source: FeedbackSource, executions: dict, raw_output: str = "", code: Optional[str] = None,
                  answer: str = "program") -> str:
    """The feedback for a failed sample from its stored executions (purpose -> Execution)."""
    tested = executions.get(Purpose.tests)
    if tested is not None and tested.status == NO_CODE:
        return describe(tested, raw_output, answer=answer)
    return describe(executions.get(purpose_for(source)), raw_output, code)
