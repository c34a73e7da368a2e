"""How a failed Python test failed (details["tests"][i]["failure"]), as the harness decides it outside the program:
a reward tells a wrong answer from a crash by it. The verdict itself does not change."""

from __future__ import annotations

import pytest

from codeforge.sandbox.jobs import Job, Status

pytestmark = pytest.mark.docker

PROGRAM = '''\
import os
import sys


class Oops(Exception):
    pass


def f(x):
    if x == 1:
        raise ValueError("one")
    if x == 2:
        raise Oops("two")
    if x == 3:
        return None
    if x == 4:
        os._exit(0)
    return x
'''

PYTEST = '''\
import pytest
from solution import f


def test_holds():
    assert f(5) == 5


def test_wrong():
    assert f(6) == 7


def test_builtin_raised():
    assert f(1) == 1


def test_own_exception_raised():
    assert f(2) == 2


def test_expected_exception_not_raised():
    with pytest.raises(KeyError):
        f(5)


def test_the_tests_own_code_raised():
    assert sorted(f(3)) == [3]


def test_expected_exception_raised():
    with pytest.raises(ValueError):
        f(1)


def test_ended():
    assert f(4) == 4
'''


def outcomes(result):
    return {t["name"].split("::")[-1]: (t["outcome"], t.get("failure")) for t in result.details["tests"]}


def test_each_failed_pytest_test_says_how_it_failed(sandbox):
    result = sandbox.run(Job(id="kinds", language="python", files={"solution.py": PROGRAM},
                             tests={"test_f.py": PYTEST}))
    assert result.status is Status.failed
    assert outcomes(result) == {
        "test_holds": ("passed", None),
        "test_wrong": ("failed", "assertion"),
        "test_builtin_raised": ("failed", "program_raised"),
        "test_own_exception_raised": ("failed", "program_raised"),
        "test_expected_exception_not_raised": ("failed", "assertion"),
        "test_the_tests_own_code_raised": ("failed", "error"),
        "test_expected_exception_raised": ("passed", None),
        "test_ended": ("failed", "program_ended"),
    }


@pytest.mark.parametrize("script, failure", [
    ("assert f(6) == 7\n", "assertion"),
    ("assert f(1) == 1\n", "program_raised"),
    ("assert sorted(f(3)) == [3]\n", "error"),
    ("assert f(4) == 4\n", "program_ended"),
])
def test_a_failed_script_says_how_it_failed(sandbox, script, failure):
    result = sandbox.run(Job(id=f"script-{failure}", language="python", files={"solution.py": PROGRAM},
                             tests={"check.py": script}))
    assert result.status is Status.failed
    assert result.details["tests"] == [{"name": "check.py", "outcome": "failed", "failure": failure}]


def test_a_pytest_run_after_another_in_the_same_container_still_reports_each_test(serial_sandbox):
    """pytest is imported once in the harness process; each run still gets a fresh session of its own."""
    first = serial_sandbox.run(Job(id="first", language="python", files={"solution.py": PROGRAM},
                                   tests={"test_f.py": PYTEST}))
    second = serial_sandbox.run(Job(id="second", language="python", files={"solution.py": PROGRAM},
                                    tests={"test_g.py": "from solution import f\n\n\ndef test_g():\n"
                                                        "    assert f(5) == 5\n"}))
    assert len(first.details["tests"]) == 8
    assert second.status is Status.passed and outcomes(second) == {"test_g": ("passed", None)}
