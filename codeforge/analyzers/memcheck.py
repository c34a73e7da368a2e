"""memcheck (Valgrind), through the sandbox's `memcheck` action, on one C or C++ file: every error Valgrind
reports in its XML, whatever the program's exit status (a program that corrupts memory often exits 0).

Valgrind's error kinds -> severity: invalid read/write/free, mismatched free, overlapping copies, a bad
syscall parameter, a conditional jump on uninitialised values: high; other uninitialised values, a definite
leak: medium; anything else Valgrind reports: medium. A file that does not compile is a finding
("compile-error", high), never a clean file; so is a run stopped before its end (a timeout, running out of
memory or output: high), since Valgrind reports at exit.
"""

from __future__ import annotations

import itertools
import re
from typing import Optional

from ..i18n import _, said
from ..sandbox.jobs import Job, Status
from ..vocabulary import Action, Language
from .base import AnalyzerUnavailable, Finding, Severity, Tool, code_line, sandbox_file

HIGH = {"InvalidRead", "InvalidWrite", "InvalidFree", "MismatchedFree", "Overlap", "SyscallParam",
        "UninitCondition", "InvalidJump", "InvalidMemPool", "FishyValue"}
# Valgrind's kinds -> the CWE of the weakness they show.
CWE = {"InvalidRead": 125, "InvalidWrite": 787, "InvalidFree": 763, "MismatchedFree": 762, "Overlap": 475,
       "UninitCondition": 457, "UninitValue": 457, "Leak_DefinitelyLost": 401, "InvalidJump": 824}
# Valgrind runs a program 10-50 times slower than natively: a file analysed on its own gets this long.
TIMEOUT_S = 60.0
UNFINISHED = {
    Status.timeout: "the program did not finish within the time limit under Valgrind; its memory was not "
                    "checked to the end",
    Status.oom: "the program ran out of memory under Valgrind; its memory was not checked to the end",
    Status.output_limit: "the program wrote more output than the sandbox keeps and was stopped under Valgrind; "
                         "its memory was not checked to the end",
}
_COMPILER_LINE = re.compile(r"^(?P<file>[^:\s]+):(?P<line>\d+):(?:\d+:)? (?:fatal )?error: (?P<message>.*)$", re.M)
_ids = itertools.count(1)


class Memcheck:
    name = Tool.memcheck
    languages = frozenset({Language.c, Language.cpp})

    def analyze(self, code: str, language: Language, sandbox, task=None) -> list[Finding]:
        job = Job(id=f"memcheck-{next(_ids)}", language=language, files={sandbox_file(language): code},
                  action=Action.memcheck, stdin="", timeout_s=TIMEOUT_S)
        result = sandbox.run(job)
        return findings(result, code, sandbox_file(language))


def findings(result, code: str, name: str) -> list[Finding]:
    """The sandbox's memcheck Result -> Findings (the Valgrind errors in details["memory_errors"])."""
    details = result.details or {}
    if result.status is Status.sandbox_error:
        raise RuntimeError(said("memcheck could not run the program: {why}",
                                why=details.get("sandbox") or result.stderr.strip()))
    if result.status is Status.compile_error:
        return compile_errors(str(details.get("compiler") or result.stderr), code, name)
    if result.exit_code == 127 and "memory_errors" not in details:
        raise AnalyzerUnavailable(Tool.memcheck, _("valgrind was not found"))
    found = []
    if result.status in UNFINISHED:
        # Valgrind's report is written at exit: a program stopped before it was not checked to the end.
        found.append(Finding(Tool.memcheck, result.status.value, Severity.high, None, None, name, None,
                             UNFINISHED[result.status], ""))
    for error in details.get("memory_errors") or []:
        kind = str(error.get("kind") or "Unknown")
        frame = error.get("frame") or {}
        line: Optional[int] = frame.get("line")
        file = str(frame.get("file") or name)
        where = f" in {frame['function']}" if frame.get("function") else ""
        found.append(Finding(Tool.memcheck, kind, Severity.high if kind in HIGH else Severity.medium, None,
                             CWE.get(kind), file, line, f"{error.get('message') or kind}{where}",
                             code_line(code, line) if file == name else ""))
    return found


def compile_errors(text: str, code: str, name: str) -> list[Finding]:
    errors = [Finding(Tool.memcheck, "compile-error", Severity.high, None, None, m["file"].rsplit("/", 1)[-1],
                      int(m["line"]), m["message"].strip(), code_line(code, int(m["line"])))
              for m in _COMPILER_LINE.finditer(text)]
    return errors or [Finding(Tool.memcheck, "compile-error", Severity.high, None, None, name, None,
                              text.strip()[-500:] or "the program does not compile", "")]
