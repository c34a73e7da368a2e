"""Running an `analyze` job: the one place the static analyzers meet the sandbox."""

from __future__ import annotations

import itertools

from ..i18n import _, said
from ..sandbox.jobs import Job, Result, Status
from ..vocabulary import Action, Language
from .base import AnalyzerUnavailable, Tool, sandbox_file

_ids = itertools.count(1)


def tool_reports(code: str, language: Language, sandbox, timeout_s: float = 60.0) -> Result:
    """The `analyze` action's result for one file: each tool's raw output in details["tools"]."""
    job = Job(id=f"analyze-{next(_ids)}", language=language, files={sandbox_file(language): code},
              action=Action.analyze, timeout_s=timeout_s)
    return sandbox.run(job)


def report_of(result: Result, step: str, tool: Tool) -> dict:
    """One tool's {exit_code, stdout, stderr}; AnalyzerUnavailable when it is not in the image, RuntimeError
    when the sandbox could not say (a failure of the sandbox is never "no findings")."""
    report = (result.details.get("tools") or {}).get(step) or {}
    if report.get("exit_code") == 127:
        raise AnalyzerUnavailable(tool, _("its program was not found"))
    only_others_missing = result.status is Status.sandbox_error and "missing" in result.details
    if (result.status is not Status.passed and not only_others_missing) or report.get("exit_code") is None:
        why = result.details.get("sandbox") or result.status.value
        raise RuntimeError(said("{tool} could not analyse the code: {why}", tool=tool.value, why=why))
    return report
