"""Sixteen small Python tasks in the jsonl format bench reads, for the fine-tuning tests: distinct names and
bodies, one line each, and tests that only the right body passes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# name, argument, docstring, body, test of the function f
SPECS = [
    ("double", "x", "Return x times two.", "x * 2", "f(3) == 6 and f(-1) == -2"),
    ("square", "x", "Return x squared.", "x * x", "f(3) == 9 and f(-2) == 4"),
    ("negate", "x", "Return minus x.", "-x", "f(3) == -3 and f(-4) == 4"),
    ("is_even", "n", "Return True when n is even.", "n % 2 == 0", "f(4) is True and f(7) is False"),
    ("first", "xs", "Return the first item of xs.", "xs[0]", "f([5, 6, 7]) == 5"),
    ("last", "xs", "Return the last item of xs.", "xs[-1]", "f([5, 6, 7]) == 7"),
    ("length", "xs", "Return how many items xs has.", "len(xs)", "f([1, 2, 3]) == 3 and f([]) == 0"),
    ("reverse", "s", "Return s reversed.", "s[::-1]", "f('abc') == 'cba'"),
    ("shout", "s", "Return s in upper case.", "s.upper()", "f('abc') == 'ABC'"),
    ("total", "xs", "Return the sum of xs.", "sum(xs)", "f([1, 2, 3]) == 6"),
    ("largest", "xs", "Return the largest item of xs.", "max(xs)", "f([3, 9, 2]) == 9"),
    ("smallest", "xs", "Return the smallest item of xs.", "min(xs)", "f([3, 9, 2]) == 2"),
    ("is_empty", "xs", "Return True when xs has no items.", "len(xs) == 0", "f([]) is True and f([1]) is False"),
    ("increment", "x", "Return x plus one.", "x + 1", "f(3) == 4"),
    ("halve", "x", "Return half of x.", "x / 2", "f(3) == 1.5"),
    ("whisper", "s", "Return s in lower case.", "s.lower()", "f('AbC') == 'abc'"),
]


def write_tasks(path: Path) -> Path:
    with open(path, "w") as out:
        for i, (name, arg, doc, body, test) in enumerate(SPECS):
            out.write(json.dumps({
                "task_id": f"tiny/{i}", "prompt": f'def {name}({arg}):\n    """{doc}"""\n',
                "canonical_solution": f"    return {body}\n",
                "test": f"def check(f):\n    assert {test}\n", "entry_point": name}) + "\n")
    return path


def codeforge(*args: str, check: bool = True, timeout: float = 900) -> subprocess.CompletedProcess:
    """The command as a user runs it."""
    result = subprocess.run([sys.executable, "-m", "codeforge", *args], capture_output=True, text=True,
                            timeout=timeout, env=dict(os.environ))
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}")
    return result
