"""The task's own tests, in the sandbox (`task.test_job(code)`): a run that does not pass is one finding
("test-failed", high) whose message is what went wrong (the failing assertion, the error, the compiler's
message), as a person would read it; a pass is none. A program that does not compile fails its tests too.
"""

from __future__ import annotations

import itertools
import re
from typing import Optional

from ..sandbox.jobs import Status
from ..vocabulary import Language
from .base import Finding, Severity, Tool, code_line, sandbox_file

MAX_LINES = 30
_WORK_DIR = re.compile(r"/sandbox/[^/\s:]+/(?:gopath/src/job/|\.codeforge/)?")
_PROGRAM_LINE = re.compile(r'File "(?:[^"]*/)?(?:solution|main)\.py", line (\d+)|\b(?:main|solution)\w*\.\w+:(\d+)')
_ids = itertools.count(1)


class Tests:
    name = Tool.tests
    languages = frozenset(Language)

    def analyze(self, code: str, language: Language, sandbox, task=None) -> list[Finding]:
        if task is None:
            return []  # no task, no tests: nothing this analyzer can say
        result = sandbox.run(task.test_job(code).job(f"tests-{next(_ids)}"))
        return findings(result, code, language)


def findings(result, code: str, language: Language) -> list[Finding]:
    if result.status is Status.passed:
        return []
    if result.status is Status.sandbox_error:
        raise RuntimeError(f"the tests could not run: {result.details.get('sandbox') or result.stderr.strip()}")
    message = failure_text(result)
    line = _program_line(message)
    return [Finding(Tool.tests, "test-failed", Severity.high, None, None, sandbox_file(language), line,
                    message, code_line(code, line))]


def failure_text(result) -> str:
    """What a failing test run says went wrong: the status, the harness's reason, then the failing tests'
    output or the error streams (the last lines), with sandbox paths cut to file names."""
    details = result.details or {}
    failing = [str(t.get("output") or "").strip() for t in details.get("tests") or []
               if isinstance(t, dict) and t.get("outcome") not in ("passed", "skipped") and t.get("output")]
    streams = "\n".join(failing) or str(details.get("compiler") or "") or result.stderr.strip() or result.stdout.strip()
    memory = [f"{e.get('kind')}: {e.get('message')}" for e in details.get("memory_errors") or []]
    lines = [line for line in _WORK_DIR.sub("", streams).splitlines() if line.strip()
             and not line.startswith("==")][-MAX_LINES:]
    head = {Status.timeout: "the tests did not finish within the time limit",
            Status.compile_error: "the program does not compile",
            Status.memory_error: "Valgrind found memory errors"}.get(result.status, "the tests failed")
    reason = str(details.get("error") or "")
    return "\n".join(part for part in [head + (f": {reason}" if reason else ""), *memory, *lines] if part)


def _program_line(text: str) -> Optional[int]:
    numbers = [int(a or b) for a, b in _PROGRAM_LINE.findall(text)]
    return numbers[-1] if numbers else None
