"""A Result as a person reads it: the signal by name, long output as its head and tail, the user's own file
name in messages, Valgrind's messages without its boilerplate. Plain text in, plain text out; the stored
Result is never changed (`sandbox run --json` prints it as it is).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from ..i18n import N_, _, ngettext

HEAD_LINES = TAIL_LINES = 20
PART_CHARS = 4000  # the head and the tail are each cut to this many characters (one long line is cut too)

# Valgrind's advice after a fatal signal, printed on stderr even with -q; the XML report says what happened.
VALGRIND_ADVICE = re.compile(r"^==\d+==\s+If you believe this happened as a result of a stack")
VALGRIND_ADVICE_END = re.compile(r"^==\d+==\s+The main thread stack size used in this run was")
VALGRIND_EMPTY = re.compile(r"^==\d+==\s*$")
VALGRIND_LINE = re.compile(r"^==\d+==")
STOPPED_AT_A_LIMIT = {"timeout": N_("the sandbox stopped it at the time limit"),
                      "output_limit": N_("the sandbox stopped it at the output limit"),
                      "oom": N_("the kernel stopped it at the memory limit")}


@dataclass(frozen=True)
class Clipped:
    head: str
    tail: str = ""
    cut_lines: int = 0
    cut_bytes: int = 0

    @property
    def cut(self) -> bool:
        return self.cut_bytes > 0


def clip(text: str, lines: int = HEAD_LINES, chars: int = PART_CHARS) -> Clipped:
    """`text` as its first and last `lines` lines (each part at most `chars` characters) and what lies
    between them, counted."""
    head_end = _after_lines(text, lines, chars)
    tail_start = max(_before_last_lines(text, lines), len(text) - chars)
    if tail_start <= head_end:
        return Clipped(text)
    middle = text[head_end:tail_start]
    return Clipped(text[:head_end], text[tail_start:], middle.count("\n"), len(middle.encode("utf-8")))


def _after_lines(text: str, lines: int, chars: int) -> int:
    end = 0
    for _line in range(lines):
        newline = text.find("\n", end, chars)
        if newline < 0:
            return min(len(text), chars)
        end = newline + 1
    return end


def _before_last_lines(text: str, lines: int) -> int:
    start = len(text) - 1 if text.endswith("\n") else len(text)  # a final newline ends the last line
    for _line in range(lines):
        newline = text.rfind("\n", 0, start)
        if newline < 0:
            return 0
        start = newline
    return start + 1


def size_text(count: int) -> str:
    if count >= 1 << 20:
        return _("{size} MiB").format(size=f"{count / (1 << 20):.1f}")
    if count >= 1 << 10:
        return _("{size} KiB").format(size=f"{count / (1 << 10):.1f}")
    return ngettext("{count} byte", "{count} bytes", count).format(count=count)


def signal_text(result) -> Optional[str]:
    """"killed by SIGSEGV (signal 11)" when a signal ended the program (and who sent it, when the sandbox
    or the kernel stopped it at a limit), else None."""
    name = result.details.get("signal")
    if not name:
        return None
    number = result.details.get("signal_number")
    if number is not None and str(name).startswith("SIG"):
        text = _("killed by {signal} (signal {number})").format(signal=name, number=number)
    else:
        text = _("killed by {signal}").format(signal=name)
    why = STOPPED_AT_A_LIMIT.get(getattr(result.status, "value", result.status))
    return f"{text}: {_(why)}" if why else text


def with_user_file_name(text: str, sandbox_name: str, user_name: str) -> str:
    """`text` naming the user's file where the sandbox ran it under another name (main.py for add.py)."""
    if sandbox_name == user_name or not text:
        return text
    return re.sub(r"(?<![\w./-])" + re.escape(sandbox_name) + r"(?![\w-])", lambda _: user_name, text)


def valgrind_useful_lines(stderr: str) -> str:
    """The program's stderr under Valgrind without Valgrind's boilerplate (its stack-overflow advice after a
    fatal signal, its empty `==pid==` lines)."""
    kept: list[str] = []
    in_advice = False
    for line in stderr.splitlines(keepends=True):
        in_advice = in_advice or bool(VALGRIND_ADVICE.match(line))
        if in_advice and VALGRIND_LINE.match(line):
            in_advice = not VALGRIND_ADVICE_END.match(line)
            continue
        in_advice = False  # the program's own line: the advice is over
        if not VALGRIND_EMPTY.match(line):
            kept.append(line)
    return "".join(kept)
