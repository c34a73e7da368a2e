"""staticcheck (`-f json`, Debian's go-staticcheck), in the Go sandbox image, on one Go file: every
diagnostic with its check code (SA..., S..., ST..., QF...). Severity by check family (staticcheck's own
"severity" is "error" for every check unless configured, so it says nothing): a package that does not compile
(code "compile") high, SA (likely bugs) medium, the rest (S simplifications, ST style, QF quick fixes) low.
"""

from __future__ import annotations

import json

from ..i18n import said
from ..vocabulary import Language
from ._sandbox import report_of, tool_reports
from .base import Finding, Severity, Tool, code_line, sandbox_file



class Staticcheck:
    name = Tool.staticcheck
    languages = frozenset({Language.go})

    def analyze(self, code: str, language: Language, sandbox, task=None) -> list[Finding]:
        return self.findings(tool_reports(code, language, sandbox), code)

    def findings(self, result, code: str) -> list[Finding]:
        report = report_of(result, "staticcheck", Tool.staticcheck)
        return parse(report.get("stdout") or "", code, report.get("stderr") or "", report.get("exit_code") or 0)


def parse(stdout: str, code: str, stderr: str = "", exit_code: int = 0) -> list[Finding]:
    """One JSON object per line -> Findings; a non-zero exit with none is the tool failing, not clean code."""
    found = []
    for raw in stdout.splitlines():
        if not raw.strip().startswith("{"):
            continue
        item = json.loads(raw)
        location = item.get("location") or {}
        line = location.get("line") or None
        rule = str(item.get("code") or "")
        severity = Severity.high if rule == "compile" else Severity.medium if rule.startswith("SA") else Severity.low
        found.append(Finding(Tool.staticcheck, "compile-error" if rule == "compile" else rule, severity, None, None,
                             str(location.get("file") or sandbox_file(Language.go)).rsplit("/", 1)[-1], line,
                             str(item.get("message") or ""), code_line(code, line)))
    if exit_code and not found:
        raise RuntimeError(said("staticcheck failed without a report: {output}",
                                output=(stderr or stdout).strip()[-300:]))
    return sorted(found, key=lambda f: (f.line or 0, f.rule))
