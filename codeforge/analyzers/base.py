"""What every analyzer shares: the Finding it reports, the closed vocabularies of its fields, the protocol.

Severity is one scale for every tool:
- bandit: its own LOW / MEDIUM / HIGH issue severity; a file that does not parse is high.
- memcheck: invalid read/write, invalid free, mismatched free, overlapping copies, a bad syscall parameter,
  a jump on uninitialised values are high; other uses of uninitialised values medium; a definite leak medium.
- go vet: medium (every vet check is a likely bug, none says how bad); a package that does not compile high.
- staticcheck: a package that does not compile high, SA checks (likely bugs) medium, the rest (S
  simplifications, ST style, QF quick fixes) low.
- tests: a failed test run is high.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any, Optional, Protocol

from ..i18n import _
from ..vocabulary import Language


class Severity(str, Enum):
    low = "low"
    medium = "medium"
    high = "high"


class Tool(str, Enum):
    bandit = "bandit"
    memcheck = "memcheck"
    go_vet = "go-vet"
    staticcheck = "staticcheck"
    tests = "tests"


# Which image holds each tool: what `codeforge sandbox build` must rebuild when one is missing.
IMAGE_LANGUAGE = {Tool.bandit: "python", Tool.memcheck: "valgrind", Tool.go_vet: "go", Tool.staticcheck: "go",
                  Tool.tests: "all"}


SANDBOX_FILE = {Language.python: "main.py", Language.go: "main.go", Language.c: "main.c", Language.cpp: "main.cpp"}


@dataclass(frozen=True)
class Finding:
    """One thing a tool found. `line` is 1-based in `file` (None when the tool gives none); `code_line` is
    that line of the analysed code ("" when unknown); `cwe` the CWE number where the tool gives one."""

    tool: Tool
    rule: str
    severity: Severity
    confidence: Optional[str]
    cwe: Optional[int]
    file: str
    line: Optional[int]
    message: str
    code_line: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["tool"], data["severity"] = self.tool.value, self.severity.value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Finding":
        return cls(tool=Tool(data["tool"]), rule=str(data["rule"]), severity=Severity(data["severity"]),
                   confidence=data.get("confidence"), cwe=data.get("cwe"), file=str(data.get("file") or ""),
                   line=data.get("line"), message=str(data.get("message") or ""),
                   code_line=str(data.get("code_line") or ""))


class AnalyzerUnavailable(Exception):
    """A tool is not in the sandbox image; the message says which image to rebuild."""

    def __init__(self, tool: Tool, detail: str = ""):
        image = IMAGE_LANGUAGE[tool]
        message = _("{tool} is not in the sandbox image ({detail}): run `codeforge sandbox build {image}`") \
            if detail else _("{tool} is not in the sandbox image: run `codeforge sandbox build {image}`")
        super().__init__(message.format(tool=tool.value, detail=detail, image=image))
        self.tool = tool


class Analyzer(Protocol):
    name: Tool
    languages: frozenset[Language]

    def analyze(self, code: str, language: Language, sandbox, task=None) -> list[Finding]:
        """Every finding of the tool on `code` (one file), run in `sandbox` (a DockerSandbox)."""


def code_line(code: str, line: Optional[int]) -> str:
    """Line `line` (1-based) of `code`, stripped; "" when there is no such line."""
    lines = code.splitlines()
    return lines[line - 1].strip() if line and 0 < line <= len(lines) else ""


def sandbox_file(language: Language) -> str:
    """The name one analysed file has in the sandbox (what findings name when the caller gives none)."""
    return SANDBOX_FILE[language]
