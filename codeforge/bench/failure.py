"""Why a stored sample failed, for people (`bench show`) and, in part, for the model (bench/feedback.py): from the sandbox result of its tests execution, the part that says
what went wrong (the failing assertion, the traceback, the compiler's message, Valgrind's errors), trimmed to
its useful tail.

A traceback shows the program's frames, not the test harness's: a Python frame is kept when its source line
is one of the sample's own lines, when it is the failing assertion (the innermost frame of an exception with
no message), or when it calls into the program from the same file (the dataset's test line that found the
fault). A Go panic keeps the frames in the job's files, not the standard library's (testing, runtime).
Valgrind's own chatter is left out; the errors it found are listed from the result's details.
"""

from __future__ import annotations

import re
from typing import Optional

from ..store import Execution
from ..vocabulary import SampleStatus

MAX_LINES = 40
HARNESS_NAMES = "_codeforge_"  # what the names of codeforge's example-checking code start with (tasks/examples.py)
MAX_CHARS = 4000

_FRAME = re.compile(r'^  File "(?P<file>[^"]*)", line \d+(?:, in (?P<function>.*))?$')
_WORK_DIR = re.compile(r"/sandbox/[^/\s:]+/(?:gopath/src/job/|\.codeforge/)?")
_VALGRIND = re.compile(r"^==\d+==")
_GO_FUNCTION = re.compile(r"^(?:created by )?[\w./*()\[\]-]+\(.*\)$|^created by ")


def failure_cause(execution: Optional[Execution], code: Optional[str]) -> Optional[str]:
    """What went wrong in the sample's tests execution, or None when it passed or was never checked."""
    if execution is None:
        return None
    status, result = SampleStatus(execution.status), execution.result or {}
    details = result.get("details") or {}
    if status is SampleStatus.passed:
        return None
    if status is SampleStatus.no_code:
        return "The answer held no code, so nothing ran."
    if status is SampleStatus.timeout:
        return _join(f"Did not finish within the time limit ({float(result.get('duration_s') or 0):.1f} s); "
                     "it was killed.", _output(result, code))
    if status is SampleStatus.oom:
        return _join("Ran out of memory and was killed.", _output(result, code))
    if status is SampleStatus.output_limit:
        return "Printed more output than the sandbox keeps, and was stopped."
    if status is SampleStatus.compile_error:
        return _join("Does not compile:", _trim(clean_paths(str(details.get("compiler") or "") or _streams(result))))
    signal = details.get("signal")
    head = f"Killed by {signal}." if isinstance(signal, str) and signal else ""
    if status is SampleStatus.memory_error:
        return _join(head, "Valgrind found memory errors:", _memory_errors(details), _output(result, code))
    return _join(head, _output(result, code)) or f"Failed (exit code {result.get('exit_code')}), with no output."


def _join(*parts: str) -> str:
    return "\n".join(p for p in parts if p)


def _streams(result: dict) -> str:
    for text in (result.get("stderr") or "", result.get("stdout") or ""):
        if text.strip():
            return text.strip("\n").rstrip()  # a traceback's first line may be indented
    return ""


def _output(result: dict, code: Optional[str]) -> str:
    """Failing Go tests' own output, else stderr, else stdout; a Python traceback keeps the program's frames."""
    tests = (result.get("details") or {}).get("tests") or []
    failing = [str(t.get("output") or "").strip() for t in tests
               if isinstance(t, dict) and t.get("outcome") not in ("passed", "skipped") and t.get("output")]
    text = "\n".join(failing) if failing else _streams(result)
    text = "\n".join(line for line in text.splitlines() if not _VALGRIND.match(line))
    return _trim(clean_paths(_go_frames(python_frames(text, code))))


def clean_paths(text: str) -> str:
    """Paths inside the sandbox's work dir read as the file names the program knows."""
    return _WORK_DIR.sub("", text).strip("\n").rstrip()


def _trim(text: str) -> str:
    lines = text.strip("\n").rstrip().splitlines()
    cut = 0
    if len(lines) > MAX_LINES:
        cut, lines = len(lines) - MAX_LINES, lines[-MAX_LINES:]
    while len(lines) > 1 and sum(len(line) + 1 for line in lines) > MAX_CHARS:
        cut, lines = cut + 1, lines[1:]
    if lines and len(lines[0]) > MAX_CHARS:
        lines[0] = "..." + lines[0][-MAX_CHARS:]
    return "\n".join(([f"... ({cut} earlier lines not shown)"] if cut else []) + lines)


def _memory_errors(details: dict) -> str:
    lines = []
    for error in (details.get("memory_errors") or [])[:10]:
        frame = error.get("frame") or {}
        where = f" at {frame.get('file')}:{frame.get('line')}" if frame.get("file") else ""
        function = f" in {frame.get('function')}" if frame.get("function") else ""
        lines.append(f"- {error.get('kind')}: {error.get('message')}{where}{function}")
    return "\n".join(lines)


def python_frames(text: str, code: Optional[str]) -> str:
    """Each Python traceback in `text` with only the frames worth showing (see the module's docstring)."""
    lines = text.splitlines()
    if not any(_FRAME.match(line) for line in lines):
        return text
    own = {line.strip() for line in (code or "").splitlines() if line.strip()}
    out: list[str] = []
    i = 0
    while i < len(lines):
        if not _FRAME.match(lines[i]):
            out.append(lines[i])
            i += 1
            continue
        frames = []  # one traceback's frames: (file, function, [lines])
        while i < len(lines) and _FRAME.match(lines[i]):
            match = _FRAME.match(lines[i])
            body = [lines[i]]
            i += 1
            while i < len(lines) and lines[i].startswith("    "):
                body.append(lines[i])
                i += 1
            frames.append((match["file"], match["function"], body))
        message = lines[i] if i < len(lines) else ""
        out.extend(_kept_frames(frames, own, bare=":" not in message))
    return "\n".join(out)


def _kept_frames(frames: list, own: set, bare: bool) -> list[str]:
    def source(body: list[str]) -> str:
        return body[1].strip() if len(body) > 1 else ""

    mine = [i for i, (_, function, body) in enumerate(frames) if function is None or source(body) in own]
    keep = set(mine)
    caller = mine[0] - 1 if mine else -1
    if caller >= 0 and frames[caller][0] == frames[mine[0]][0] and HARNESS_NAMES not in source(frames[caller][2]):
        keep.add(caller)  # the dataset's test line that called into the program, in the same file
    if bare:
        keep.add(len(frames) - 1)  # `assert ...` with no message: the line is the message
    out = []
    dropped = len(frames) - len(keep)
    if dropped:
        out.append(f"  ({dropped} frame{'s' if dropped > 1 else ''} of the test harness not shown)")
    for i in sorted(keep):
        out.extend(frames[i][2])
    return out


def _go_frames(text: str) -> str:
    """A Go goroutine dump keeps the frames in the job's files (under /sandbox), not the standard library's."""
    lines = text.splitlines()
    if not any(line.startswith("goroutine ") for line in lines):
        return text
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if i + 1 < len(lines) and lines[i + 1].startswith("\t/") and _GO_FUNCTION.match(line):
            if "/sandbox/" in lines[i + 1]:
                out.extend(lines[i:i + 2])
            i += 2
            continue
        out.append(line)
        i += 1
    return "\n".join(out)
