"""Visible examples: what is read from HumanEval-style docstrings, and the program that checks them."""

from __future__ import annotations

import textwrap

import pytest

from codeforge.tasks import load_tasks
from codeforge.tasks.examples import check_program, parse_examples
from codeforge.tasks.humaneval import WRONG_EXAMPLES


def assertions(prompt: str, entry_point: str) -> list[str]:
    return [example.assertion for example in parse_examples(textwrap.dedent(prompt), entry_point)]


def test_doctest_examples_with_values_none_and_written_out_comparisons():
    prompt = '''
    def longest(strings):
        """ Out of list of strings, return the longest one.
        >>> longest([])

        >>> longest(['a', 'bb'])
        'bb'
        >>> longest(['x']) == 'x'
        >>> round(longest([1.23456]), 2)
        1.23
        >>> x = longest(['a'])
        >>> helper(['a'])
        'a'
        """
    '''
    assert assertions(prompt, "longest") == [
        "assert longest([]) == None",
        "assert longest(['a', 'bb']) == 'bb'",
        "assert longest(['x']) == 'x'",
        "assert round(longest([1.23456]), 2) == 1.23",
    ]


def test_the_other_forms_humaneval_uses():
    prompt = '''
    def f(lst, k):
        """Examples:
        f([1, 2], 1) ==> 3
        f([1], 2) => true
        * f([], 0) -> []
        f([3], 1) ➞ (1, 'a')
        f([4], 1) == 19 - 5 - 6 = 8
        f([5], 1) should return 16.
        f([6], 1) returns 'x' # because
        f([7], 1)   # returns "db1111db"
        f([8], 1) # => 'No' (the name should start with a letter)
        f([9], 1) = -1
        for f([10], 1) == 34
        f(a, 1) => False
        g([1], 1) ==> 2
        f([11], 1) == ""aaaaaaa"
        f([12],
          2) == 5
        """
    '''
    assert assertions(prompt, "f") == [
        "assert f([1, 2], 1) == 3",
        "assert f([1], 2) == True",
        "assert f([], 0) == []",
        "assert f([3], 1) == (1, 'a')",
        "assert f([4], 1) == 8",
        "assert f([5], 1) == 16",
        "assert f([6], 1) == 'x'",
        "assert f([7], 1) == 'db1111db'",
        "assert f([8], 1) == 'No'",
        "assert f([9], 1) == -1",
        "assert f([10], 1) == 34",
        "assert f([12], 2) == 5",
    ]  # not: a bare word argument, another function, a value that is not a literal


def test_for_lines_and_input_output_blocks_call_with_the_signature_order():
    prompt = '''
    def reverse_delete(s, c):
        """
        For s = "abcde", c = "ae", the result should be ('bcd',False)
        For c = "b", s = "abcdef"  the result should be ('acdef',False)
        For N = 1000, the sum of digits will be 1 the output should be "1".
        Example 1:
            Input: s = "ab", c = "a"
            Output: ('b', True)
        Example 2:
            Input:
                text : "xy"
                chars : "y"
            Output: ('x', True) # by position: the docstring's names differ from the signature's
        """
    '''
    assert assertions(prompt, "reverse_delete") == [
        "assert reverse_delete('abcde', 'ae') == ('bcd', False)",
        "assert reverse_delete('abcdef', 'b') == ('acdef', False)",
        "assert reverse_delete('ab', 'a') == ('b', True)",
        "assert reverse_delete('xy', 'y') == ('x', True)",
    ]


def test_only_the_entry_points_docstring_is_read():
    prompt = '''
    def helper(x):
        """>>> main(1)
        99
        """


    def main(x):
        """Doubles.
        >>> main(2)
        4
        """
    '''
    assert assertions(prompt, "main") == ["assert main(2) == 4"]


def test_escapes_in_examples_stay_as_written():
    prompt = r'''
    def remove_vowels(text):
        """
        >>> remove_vowels("abcdef\nghijklm")
        'bcdf\nghjklm'
        """
    '''
    assert assertions(prompt, "remove_vowels") == [r"assert remove_vowels('abcdef\nghijklm') == 'bcdf\nghjklm'"]


def test_humaneval_examples_cover_most_tasks_and_leave_out_the_wrong_ones():
    tasks = {task.task_id: task for task in load_tasks("humaneval")}
    with_examples = [task for task in tasks.values() if task.visible]
    assert len(with_examples) >= 154
    # Those the docstring itself gets wrong are dropped, the right ones beside them kept.
    assert "median([-10, 4, 6, 1000, 10, 20])" not in tasks["HumanEval/47"].visible
    assert "assert median([3, 1, 2, 4, 5]) == 3" in tasks["HumanEval/47"].visible
    assert tasks["HumanEval/130"].visible == "assert tri(3) == [1, 3, 2, 8]"
    for (task_id, call), reason in WRONG_EXAMPLES.items():
        assert task_id in tasks and call not in tasks[task_id].visible and reason
    # Forms other than doctest are read too.
    assert "assert is_simple_power(1, 4) == True" in tasks["HumanEval/76"].visible
    assert "assert skjkasdkd([0, 81, 12, 3, 1, 21]) == 3" in tasks["HumanEval/94"].visible
    assert "assert max_fill([[0, 0, 0], [0, 0, 0]], 5) == 0" in tasks["HumanEval/115"].visible
    assert "assert hex_key('AB') == 1\n" in tasks["HumanEval/78"].visible


def run_checks(code: str, asserts: str, tolerance: bool) -> str:
    """Run the check program here (trusted code only), returning the AssertionError's message or ""."""
    namespace: dict = {}
    try:
        exec(compile(code + "\n" + check_program(asserts, tolerance), "main.py", "exec"), namespace)
    except AssertionError as error:
        return str(error)
    return ""


def test_a_failed_example_says_what_the_call_returned_and_what_was_expected():
    code = "def add(a, b):\n    return a * b\n"
    assert run_checks(code, "assert add(2, 2) == 4\nassert add(2, 3) == 5", tolerance=True) == \
        "add(2, 3) returned 6, expected 5"
    assert run_checks(code, "assert add(2, 2) == 4", tolerance=True) == ""


def test_floats_compare_with_a_tolerance_only_when_asked():
    code = "def third():\n    return [1 / 3, (0.1 + 0.2,)]\n"
    assert run_checks(code, "assert third() == [0.333333333, (0.3,)]", tolerance=True) == ""
    assert run_checks(code, "assert third() == [0.3333, (0.3,)]", tolerance=True).startswith("third() returned")
    assert run_checks(code, "assert third() == [1 / 3, (0.3,)]", tolerance=False) == \
        "third() returned [0.3333333333333333, (0.30000000000000004,)], expected [0.3333333333333333, (0.3,)]"
    assert run_checks(code, "assert third() == ([1 / 3], (0.3,))", tolerance=True) != ""  # list is not tuple


def test_other_asserts_are_kept_as_they_are_and_long_values_are_cut():
    code = "import math\ndef big():\n    return list(range(1000))\n"
    assert run_checks(code, "assert math.isclose(1.0, 1.0)\nassert len(big()) == 1000", tolerance=False) == ""
    message = run_checks(code, "assert big() == []", tolerance=False)
    assert message.startswith("big() returned [0, 1, 2") and message.endswith("..., expected []")
    assert len(message) < 400


@pytest.mark.parametrize("name", ["humaneval", "humaneval+"])
def test_every_visible_program_compiles(name, data_dir):
    for task in load_tasks(name, data_dir if name != "humaneval" else None):
        spec = task.visible_job(task.reference)
        compile(spec.files["solution.py"], task.task_id, "exec")
        compile(spec.tests["check.py"], task.task_id, "exec")
