"""A small task set in KodCode's own format (KodCode/KodCode-V1's field names, a pytest file importing the
solution), made here so that no hub is needed."""

from __future__ import annotations

import json
from pathlib import Path

KODCODE_TEST = ("import pytest\nfrom solution import merge_sorted\n\n\n"
                "def test_both_empty():\n    assert merge_sorted([], []) == []\n\n\n"
                "def test_interleaved():\n    assert merge_sorted([1, 4], [2, 3]) == [1, 2, 3, 4]\n\n\n"
                "def test_one_empty():\n    assert merge_sorted([5], []) == [5]\n\n\n"
                "def test_duplicates():\n    assert merge_sorted([1, 1], [1]) == [1, 1, 1]\n\n\n"
                "def test_rejects_none():\n    with pytest.raises(TypeError):\n        merge_sorted(None, [1])\n")
KODCODE_SOLUTION = ("def merge_sorted(a, b):\n    if a is None or b is None:\n        raise TypeError('lists only')\n"
                    "    out, i, j = [], 0, 0\n    while i < len(a) and j < len(b):\n"
                    "        if a[i] <= b[j]:\n            out.append(a[i]); i += 1\n"
                    "        else:\n            out.append(b[j]); j += 1\n    return out + a[i:] + b[j:]\n")


def kodcode_row(**changes) -> dict:
    """One row as KodCode-V1 has it (its own field names)."""
    row = {"question_id": "Prefill_1_I", "style": "instruct", "subset": "Prefill",
           "question": "Write a function merge_sorted(a, b) that merges two sorted lists into one sorted list.",
           "solution": KODCODE_SOLUTION, "test": KODCODE_TEST,
           "test_info": [{"function_name": "merge_sorted", "parameter_list": "(a, b)",
                          "function_declaration": "def merge_sorted(a, b):", "docstring": None}]}
    return {**row, **changes}




PALINDROME = {
    "question_id": "Leetcode_7_I", "style": "instruct", "subset": "Leetcode",
    "question": "Write is_palindrome(s) returning whether s reads the same backwards, ignoring case and spaces.",
    "solution": "def is_palindrome(s):\n    t = s.replace(' ', '').lower()\n    return t == t[::-1]\n",
    "test": ("from solution import is_palindrome\n\n\nclass TestPalindrome:\n"
             "    def test_word(self):\n        assert is_palindrome('level')\n\n"
             "    def test_not(self):\n        assert not is_palindrome('levels')\n\n"
             "    def test_case_and_spaces(self):\n        assert is_palindrome('Never odd or even')\n"),
    "test_info": [{"function_name": "is_palindrome", "parameter_list": "(s)",
                   "function_declaration": "def is_palindrome(s):", "docstring": None}],
}

COUNT_WORDS = {
    "question_id": "Apps_3_C", "style": "complete", "subset": "Apps",
    "question": "def count_words(text):\n    \"\"\"The number of words in text, split on whitespace.\"\"\"\n",
    "solution": "def count_words(text):\n    return len(text.split())\n",
    "test": ("import pytest\nfrom solution import count_words\n\n\n"
             "@pytest.mark.parametrize('text, expected', [('', 0), ('one', 1), ('two  words', 2), (' a b c ', 3)])\n"
             "def test_count(text, expected):\n    assert count_words(text) == expected\n"),
    "test_info": [{"function_name": "count_words", "parameter_list": "(text)",
                   "function_declaration": "def count_words(text):", "docstring": None}],
}


def kodcode_rows() -> list[dict]:
    """Three tasks: plain test functions, a test class, and a parametrized test; one prompt is code to complete."""
    return [kodcode_row(), PALINDROME, COUNT_WORDS]


def write_kodcode(path: Path, *rows: dict) -> Path:
    """A jsonl file of `rows` (default: the three sample tasks)."""
    path.write_text("".join(json.dumps(row) + "\n" for row in (rows or kodcode_rows())))
    return path
