"""A Result as a person reads it, without Docker: clipping, signal names, file names, Valgrind's noise."""

from __future__ import annotations

from codeforge.sandbox import Result, Status
from codeforge.sandbox import display


def test_short_text_is_not_clipped_and_long_text_keeps_head_and_tail_with_a_count():
    assert display.clip("a\nb\n") == display.Clipped("a\nb\n")
    text = "".join(f"line {i}\n" for i in range(1000))
    part = display.clip(text, lines=3)
    assert part.head == "line 0\nline 1\nline 2\n"
    assert part.tail == "line 997\nline 998\nline 999\n"
    assert part.cut_lines == 994 and part.head + text[len(part.head):-len(part.tail)] + part.tail == text
    assert part.cut_bytes == len(text) - len(part.head) - len(part.tail)


def test_one_huge_line_is_clipped_too():
    part = display.clip("x" * 100_000, lines=20, chars=100)
    assert len(part.head) == 100 and len(part.tail) == 100 and part.cut_bytes == 99_800 and part.cut_lines == 0


def test_the_signal_is_named_with_its_number_and_who_sent_it():
    segv = Result(id="s", status=Status.failed, details={"signal": "SIGSEGV", "signal_number": 11})
    assert display.signal_text(segv) == "killed by SIGSEGV (signal 11)"
    slow = Result(id="t", status=Status.timeout, details={"signal": "SIGKILL", "signal_number": 9})
    assert display.signal_text(slow) == "killed by SIGKILL (signal 9): the sandbox stopped it at the time limit"
    assert display.signal_text(Result(id="ok", status=Status.passed)) is None


def test_the_users_file_name_replaces_the_sandboxs():
    traceback = 'Traceback (most recent call last):\n  File "main.py", line 4, in <module>\nmain.py:3: warning\n'
    shown = display.with_user_file_name(traceback, "main.py", "add.py")
    assert shown == 'Traceback (most recent call last):\n  File "add.py", line 4, in <module>\nadd.py:3: warning\n'
    assert display.with_user_file_name("see domain.py and main.pyc", "main.py", "add.py") == \
        "see domain.py and main.pyc"


def test_valgrind_advice_goes_and_the_programs_own_lines_stay():
    stderr = ("==17== \n"
              "==17==  If you believe this happened as a result of a stack\n"
              "==17==  overflow in your program's main thread (unlikely but\n"
              "==17==  possible), you can try to increase the size of the\n"
              "==17==  main thread stack using the --main-stacksize= flag.\n"
              "==17==  The main thread stack size used in this run was 8388608.\n"
              "my own error line\n"
              "==17== Warning: set address range perms: large range\n")
    assert display.valgrind_useful_lines(stderr) == \
        "my own error line\n==17== Warning: set address range perms: large range\n"
