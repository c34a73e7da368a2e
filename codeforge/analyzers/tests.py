"""The task's own tests, in the sandbox (`task.test_job(code)`): a run that does not pass is one finding
("test-failed", high) whose message is what went wrong, as a person would read it: the failed assertion or
the harness's reason first, then the sandbox's account of the failure (codeforge/sandbox/failure.py, the
same one `bench show` gives: the program's frames, the compiler's message, Valgrind's errors). A pass is
none. A program that does not compile fails its tests too.
"""

from __future__ import annotations

import itertools

from ..i18n import said
from ..sandbox.failure import failure_cause, program_line
from ..sandbox.jobs import Status
from ..vocabulary import Language
from .base import Finding, Severity, Tool, code_line, sandbox_file

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
        raise RuntimeError(said("the tests could not run: {why}",
                                why=result.details.get("sandbox") or result.stderr.strip()))
    message = failure_message(result, code)
    line = program_line(message)
    return [Finding(Tool.tests, "test-failed", Severity.high, None, None, sandbox_file(language), line,
                    message, code_line(code, line))]


def failure_message(result, code: str) -> str:
    """The harness's reason for a failed run (the failed assertion, the tests that did not pass) on the
    first line, then the failure as the sandbox's output tells it."""
    reason = str((result.details or {}).get("error") or "")
    head = f"the tests failed: {reason}" if reason else ("the tests failed" if result.status is Status.failed else "")
    cause = failure_cause(result.status, result.model_dump(mode="json"), code) or ""
    return "\n".join(part for part in (head, cause) if part)
