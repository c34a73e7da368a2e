"""Why a stored sample failed, for people (`bench show`): the sandbox's reading of its tests execution
(codeforge/sandbox/failure.py, which bench's feedback and the tests analyzer read results with too), or, for
an answer that held no code, what the store alone knows.
"""

from __future__ import annotations

from typing import Optional

from ..sandbox.failure import MAX_LINES, failure_cause as run_failure_cause
from ..store import Execution
from ..vocabulary import SampleStatus, Status

__all__ = ["MAX_LINES", "failure_cause"]


def failure_cause(execution: Optional[Execution], code: Optional[str]) -> Optional[str]:
    """What went wrong in the sample's tests execution, or None when it passed or was never checked."""
    if execution is None:
        return None
    status = SampleStatus(execution.status)
    if status is SampleStatus.no_code:
        return "The answer held no code, so nothing ran."
    if status is SampleStatus.unchecked:
        return None  # no verdict stored yet
    return run_failure_cause(Status(status.value), execution.result or {}, code)
