"""`go vet -json`, in the Go sandbox image, on one Go file (package main or any other): every diagnostic of
every vet analyzer, medium severity. A package that does not type-check is a finding ("compile-error", high).
"""

from __future__ import annotations

import json
import re

from ..vocabulary import Language
from ._sandbox import report_of, tool_reports
from .base import Finding, Severity, Tool, code_line, sandbox_file

_POSITION = re.compile(r"(?P<file>[^\s:]+\.go):(?P<line>\d+)(?::\d+)?:?\s*(?P<message>.*)")


class GoVet:
    name = Tool.go_vet
    languages = frozenset({Language.go})

    def analyze(self, code: str, language: Language, sandbox, task=None) -> list[Finding]:
        return self.findings(tool_reports(code, language, sandbox), code)

    def findings(self, result, code: str) -> list[Finding]:
        report = report_of(result, "vet", Tool.go_vet)
        return parse(report.get("stderr") or "", code, report.get("exit_code") or 0)


def parse(stderr: str, code: str, exit_code: int = 0) -> list[Finding]:
    """go vet's -json report (JSON objects after `# package` lines, on stderr) -> Findings."""
    found, rest = [], []
    decoder, text, index = json.JSONDecoder(), stderr, 0
    while index < len(text):
        if text[index] == "{":
            try:
                data, index = decoder.raw_decode(text, index)
            except ValueError:
                rest.append(text[index:])
                break
            for package in data.values():
                for check, diagnostics in (package or {}).items():
                    if isinstance(diagnostics, dict) and "error" in diagnostics:  # the check itself failed
                        found.extend(_compile_errors(str(diagnostics["error"]), code))
                        continue
                    for item in diagnostics or []:
                        position = _POSITION.match(str(item.get("posn") or ""))
                        line = int(position["line"]) if position else None
                        file = position["file"].rsplit("/", 1)[-1] if position else sandbox_file(Language.go)
                        found.append(Finding(Tool.go_vet, check, Severity.medium, None, None, file, line,
                                             str(item.get("message") or ""), code_line(code, line)))
        else:
            end = text.find("\n", index)
            end = len(text) if end < 0 else end + 1
            rest.append(text[index:end])
            index = end
    if exit_code and not found:
        found = _compile_errors("".join(line for line in rest if not line.startswith("#")), code)
    return sorted(found, key=lambda f: (f.line or 0, f.rule))


def _compile_errors(text: str, code: str) -> list[Finding]:
    errors = []
    for raw in text.splitlines():
        position = _POSITION.search(raw.removeprefix("vet: "))
        if position:
            line = int(position["line"])
            errors.append(Finding(Tool.go_vet, "compile-error", Severity.high, None, None,
                                  position["file"].rsplit("/", 1)[-1], line, position["message"].strip(),
                                  code_line(code, line)))
    return errors or [Finding(Tool.go_vet, "compile-error", Severity.high, None, None, sandbox_file(Language.go),
                              None, text.strip()[-500:] or "go vet failed without saying why", "")]
