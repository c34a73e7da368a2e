"""Static and dynamic analyzers that report what is wrong with one program as Findings (base.py), all run in
the sandbox: bandit (Python), memcheck (C, C++), go-vet and staticcheck (Go), and the task's tests.

    from codeforge.analyzers import analyze
    from codeforge.sandbox import DockerSandbox

    with DockerSandbox() as sandbox:
        for finding in analyze(code, Language.python, None, sandbox):
            print(finding.tool.value, finding.rule, finding.line, finding.message)

bandit, go vet and staticcheck run through the sandbox's `analyze` action, which runs the language's tools
by argv on the file and returns their raw JSON (one container run for go vet and staticcheck together); the
parsing is here, on the host. None of them runs a shell string.
"""

from __future__ import annotations

import dataclasses
from typing import Iterable, Optional

from ..vocabulary import Language
from .bandit import Bandit
from .base import Analyzer, AnalyzerUnavailable, Finding, Severity, Tool, sandbox_file
from .go_vet import GoVet
from .memcheck import Memcheck
from .staticcheck import Staticcheck
from .tests import Tests

__all__ = ["ANALYZERS", "Analyzer", "AnalyzerUnavailable", "Finding", "Severity", "Tool", "analyze", "for_language"]

ANALYZERS: dict[Tool, Analyzer] = {a.name: a for a in (Bandit(), Memcheck(), GoVet(), Staticcheck(), Tests())}
STATIC = (Tool.bandit, Tool.go_vet, Tool.staticcheck)  # the tools the `analyze` action runs


def for_language(language: Language, names: Optional[Iterable] = None) -> list[Analyzer]:
    """The analyzers named (Tool or its value; None: all) that apply to `language`, in registry order."""
    chosen = None if names is None else {Tool(name) for name in names}
    return [a for tool, a in ANALYZERS.items() if (chosen is None or tool in chosen) and language in a.languages]


def analyze(code: str, language: Language, names: Optional[Iterable], sandbox, *, task=None,
            file: Optional[str] = None) -> list[Finding]:
    """Every finding the analyzers `names` (None: every one for the language) report on `code`, tool by tool.
    The static tools of a language share one sandbox run. `file` names the file in the findings."""
    from ._sandbox import tool_reports

    language = Language(language)
    analyzers = for_language(language, names)
    static = [a for a in analyzers if a.name in STATIC]
    shared = tool_reports(code, language, sandbox) if static else None
    found: list[Finding] = []
    for analyzer in analyzers:
        if analyzer.name in STATIC:
            found.extend(analyzer.findings(shared, code))
        else:
            found.extend(analyzer.analyze(code, language, sandbox, task=task))
    if file:
        found = [dataclasses.replace(f, file=file) if f.file == sandbox_file(language) else f for f in found]
    return found

