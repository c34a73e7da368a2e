"""HumanEval+ (evalplus): HumanEval's 164 tasks with many more test inputs (`base_input` + `plus_input`).

The test runs inside the container as evalplus does: the expected outputs come from the canonical
solution (prompt + canonical_solution) run there on deep copies of every input, before the candidate's
code is loaded, each in its own namespace. The candidate passes when every output matches: exactly, or
for floats within `math.isclose(rel_tol=1e-7, abs_tol=atol)` (atol from the dataset, 1e-6 when it is 0 and
the expected value is a float or a list of floats), through lists and tuples; HumanEval/32 (find_zero)
passes when |poly(xs, x)| <= atol, as any root will do. The first failing input is reported.
Visible examples are HumanEval's (see humaneval.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Optional

from ..vocabulary import Action, Language
from .base import PROGRAM, JobSpec, Record, Task, load_records, python_check
from .humaneval import HumanEvalTask
from .humaneval import make_task as make_humaneval_task

FILES = ("HumanEvalPlus.jsonl.gz", "HumanEvalPlus.jsonl")
HUB = "evalplus/humanevalplus"

CHECKS = '''\
"""HumanEval+ check: {entry_point} of the program (module `solution`) against the reference on every input in
inputs.json. This runs in the sandbox's harness process: the program's function is called in the program's
own process, and what it returns comes back as plain data."""
import copy
import json
import math
import sys

ENTRY_POINT = {entry_point!r}
ATOL = {atol!r}
POLY_ROOT = {poly_root!r}  # HumanEval/32: any root of the polynomial is right
SHOWN = 300  # characters of an input or a value in the failure message


def _load(path):
    namespace = {{"__name__": path[:-3]}}
    with open(path, encoding="utf-8") as handle:
        exec(compile(handle.read(), path, "exec"), namespace)
    return namespace


def _poly(xs, x):
    return sum(coeff * math.pow(x, i) for i, coeff in enumerate(xs))


def _is_floats(value):
    if isinstance(value, float):
        return True
    return isinstance(value, (list, tuple)) and bool(value) and all(isinstance(v, float) for v in value)


def _close(got, expected, atol):
    if isinstance(expected, (list, tuple)):
        return isinstance(got, (list, tuple)) and len(got) == len(expected) and \\
            all(_close(g, e, atol) for g, e in zip(got, expected))
    if isinstance(got, (int, float)) and isinstance(expected, (int, float)):
        return math.isclose(got, expected, rel_tol=1e-7, abs_tol=atol)
    return got == expected


def _passes(args, got, expected):
    if POLY_ROOT:
        return abs(_poly(*args, got)) <= ATOL
    if got == expected:
        return True
    atol = ATOL or (1e-6 if _is_floats(expected) else 0)
    return atol != 0 and type(got) is type(expected) and _close(got, expected, atol)


def _show(text):
    return text if len(text) <= SHOWN else text[:SHOWN] + "..."


def _call(args):
    return _show(ENTRY_POINT + "(" + ", ".join(repr(arg) for arg in args) + ")")
'''

HARNESS = CHECKS + '''

def main():
    with open("inputs.json", encoding="utf-8") as handle:
        inputs = json.load(handle)
    reference = _load("reference.py")[ENTRY_POINT]
    expected = [reference(*copy.deepcopy(args)) for args in inputs]
    import solution

    candidate = getattr(solution, ENTRY_POINT, None)
    if not callable(candidate):
        raise AssertionError("the program does not define a function " + ENTRY_POINT)
    for number, args in enumerate(inputs, 1):
        where = "input " + str(number) + " of " + str(len(inputs)) + ": " + _call(args)
        try:
            got = candidate(*copy.deepcopy(args))  # what it prints goes to its own output, as evalplus ignores
        except Exception:
            print(where + " raised:", file=sys.stderr)
            raise
        try:
            passed = _passes(args, got, expected[number - 1])
        except Exception:
            passed = False
        if not passed:
            raise AssertionError(where + " returned " + _show(repr(got)) + ", expected " +
                                 _show(repr(expected[number - 1])))
    print("passed", len(inputs), "of", len(inputs), "inputs")


main()
'''

# The same checks as pytest tests, one per input (Task.graded_job): each input's expected value is the
# reference's, computed when its test runs.
GRADED = CHECKS + '''

import pytest

with open("inputs.json", encoding="utf-8") as handle:
    INPUTS = json.load(handle)
REFERENCE = _load("reference.py")[ENTRY_POINT]


@pytest.mark.parametrize("number", range(1, len(INPUTS) + 1))
def test_input(number):
    import solution

    args = INPUTS[number - 1]
    expected = REFERENCE(*copy.deepcopy(args))
    candidate = getattr(solution, ENTRY_POINT, None)
    assert callable(candidate), "the program does not define a function " + ENTRY_POINT
    got = candidate(*copy.deepcopy(args))
    try:
        passed = _passes(args, got, expected)
    except Exception:
        passed = False
    assert passed, "input " + str(number) + ": " + _call(args) + " returned " + _show(repr(got)) + \\
        ", expected " + _show(repr(expected))
'''


@dataclass(frozen=True)
class HumanEvalPlusTask(HumanEvalTask):
    inputs_json: str = field(default="[]", repr=False)  # base_input + plus_input, each a list of arguments
    atol: float = 0.0

    def test_job(self, code: str) -> JobSpec:
        harness = HARNESS.format(entry_point=self.entry_point, atol=self.atol,
                                 poly_root=self.task_id == "HumanEval/32")
        return python_check(self.complete(code), harness, self.timeout_s,
                            **{"reference.py": self.reference, "inputs.json": self.inputs_json})

    def graded_job(self, code: str) -> JobSpec:
        """One pytest test per input."""
        tests = GRADED.format(entry_point=self.entry_point, atol=self.atol, poly_root=self.task_id == "HumanEval/32")
        return JobSpec(Language.python, {PROGRAM: self.complete(code)}, Action.test, self.timeout_s,
                       {"test_plus.py": tests, "reference.py": self.reference, "inputs.json": self.inputs_json})


def load(dataset_path: Optional[Path] = None, from_hub: bool = False) -> list[Task]:
    return [make_task(record) for record in load_records(dataset_path, FILES, "humaneval+", HUB, from_hub=from_hub)]


def make_task(record: Record) -> HumanEvalPlusTask:
    """HumanEval's task (same prompt, reference and visible examples) with the base and plus inputs."""
    base = make_humaneval_task(record)
    inputs = list(record.get("base_input", list)) + list(record.get("plus_input", list))
    values = {f.name: getattr(base, f.name) for f in fields(base)}
    values.update(dataset="humaneval+", extra={"inputs": len(inputs)},
                  timeout_s=60.0)  # up to a thousand inputs, each run twice (reference and candidate)
    return HumanEvalPlusTask(**values, inputs_json=json.dumps(inputs), atol=float(record.row.get("atol") or 0.0))
