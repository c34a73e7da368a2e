"""What a run that did not pass says went wrong, read from its result (a Result as JSON: `status`, `stdout`,
`stderr`, `details`, as the sandbox returns it and as the store keeps it): the part a person or a model can act
on (the failing assertion, the traceback, the compiler's message, Valgrind's errors), trimmed to its useful
tail. `bench show` and bench's feedback read stored results with it; the tests analyzer reads fresh ones.

A traceback shows the program's frames, not the test harness's: a Python frame is kept when its source line
is one of the program's own lines, when it is the failing assertion (the innermost frame of an exception with
no message), or when it calls into the program from the same file (the dataset's test line that found the
fault). A Go panic keeps the frames in the job's files, not the standard library's (testing, runtime).
Valgrind's own chatter is left out; the errors it found are listed from the result's details. Paths inside
the sandbox's work dir read as the file names the program knows, so the same failure reads the same in every
run. Plain text in, plain text out: nothing here touches the engine.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Optional

from ..vocabulary import Status

MAX_LINES = 40
MAX_CHARS = 4000
HARNESS_NAMES = "_codeforge_"  # what the names of codeforge's example-checking code start with (tasks/examples.py)

_FRAME = re.compile(r'^  File "(?P<file>[^"]*)", line \d+(?:, in (?P<function>.*))?$')
_WORK_DIR = re.compile(r"/sandbox/[^/\s:]+/(?:gopath/src/job/|\.codeforge/)?")
_VALGRIND = re.compile(r"^==\d+==")
_GO_FUNCTION = re.compile(r"^(?:created by )?[\w./*()\[\]-]+\(.*\)$|^created by ")
# Where a failure points into the program: its Python frames, and file:line in the program's own file (the
# sandbox's main.go, main.c, main.cpp; solution.py in a test run), never in a test file beside it.
_PROGRAM_LINE = re.compile(r'File "(?:[^"]*/)?(?:solution|main)\.py", line (\d+)'
                           r"|(?<![\w.-])(?:main|solution)\.(?:py|go|c|cpp):(\d+)")


def failure_cause(status: Status, result: Mapping[str, Any], code: Optional[str]) -> Optional[str]:
    """What went wrong in a run with sandbox status `status`, None when it passed. `code` is the program as
    written: its lines are the frames a traceback keeps."""
    status, details = Status(status), result.get("details") or {}
    if status is Status.passed:
        return None
    if status is Status.timeout:
        return _join(f"Did not finish within the time limit ({float(result.get('duration_s') or 0):.1f} s); "
                     "it was killed.", _output(result, code))
    if status is Status.oom:
        return _join("Ran out of memory and was killed.", _output(result, code))
    if status is Status.output_limit:
        return "Printed more output than the sandbox keeps, and was stopped."
    if status is Status.compile_error:
        return _join("Does not compile:", trim(clean_paths(str(details.get("compiler") or "") or _streams(result))))
    signal = details.get("signal")
    head = f"Killed by {signal}." if isinstance(signal, str) and signal else ""
    if status is Status.memory_error:
        return _join(head, "Valgrind found memory errors:", memory_errors(details), _output(result, code))
    return _join(head, _output(result, code)) or f"Failed (exit code {result.get('exit_code')}), with no output."


def program_line(text: str) -> Optional[int]:
    """The last line of the program (its innermost frame) that a failure's text points at, if any."""
    numbers = [int(a or b) for a, b in _PROGRAM_LINE.findall(text)]
    return numbers[-1] if numbers else None


def failing_tests_output(details: Mapping[str, Any]) -> list[str]:
    """What each failing test printed itself (Go's per-test output); none when the run does not say."""
    return [str(t.get("output") or "").strip() for t in details.get("tests") or []
            if isinstance(t, dict) and t.get("outcome") not in ("passed", "skipped") and t.get("output")]


def memory_errors(details: Mapping[str, Any], limit: int = 10, functions: bool = True) -> str:
    """The Valgrind errors of a run, one line each: kind, message, where (and in which function)."""
    lines = []
    for error in (details.get("memory_errors") or [])[:limit]:
        frame = error.get("frame") or {}
        where = f" at {frame.get('file')}:{frame.get('line')}" if frame.get("file") else ""
        function = f" in {frame.get('function')}" if functions and frame.get("function") else ""
        lines.append(f"- {error.get('kind')}: {error.get('message')}{where}{function}")
    return "\n".join(lines)


def clean_paths(text: str) -> str:
    """Paths inside the sandbox's work dir read as the file names the program knows."""
    return _WORK_DIR.sub("", text).strip("\n").rstrip()


def trim(text: str) -> str:
    """The last MAX_LINES lines within MAX_CHARS, saying how many earlier ones were left out."""
    lines = text.strip("\n").rstrip().splitlines()
    cut = 0
    if len(lines) > MAX_LINES:
        cut, lines = len(lines) - MAX_LINES, lines[-MAX_LINES:]
    while len(lines) > 1 and sum(len(line) + 1 for line in lines) > MAX_CHARS:
        cut, lines = cut + 1, lines[1:]
    if lines and len(lines[0]) > MAX_CHARS:
        lines[0] = "..." + lines[0][-MAX_CHARS:]
    return "\n".join(([f"... ({cut} earlier lines not shown)"] if cut else []) + lines)


def _join(*parts: str) -> str:
    return "\n".join(p for p in parts if p)


def _streams(result: Mapping[str, Any]) -> str:
    for text in (result.get("stderr") or "", result.get("stdout") or ""):
        if text.strip():
            return text.strip("\n").rstrip()  # a traceback's first line may be indented
    return ""


def _output(result: Mapping[str, Any], code: Optional[str]) -> str:
    """Failing Go tests' own output, else stderr, else stdout; a Python traceback keeps the program's frames."""
    failing = failing_tests_output(result.get("details") or {})
    text = "\n".join(failing) if failing else _streams(result)
    text = "\n".join(line for line in text.splitlines() if not _VALGRIND.match(line))
    return trim(clean_paths(_go_frames(python_frames(text, code))))


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
