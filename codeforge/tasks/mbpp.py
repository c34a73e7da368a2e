"""MBPP: `mbpp` (mbpp.jsonl, 974 tasks) and `mbpp-sanitized` (sanitized-mbpp.json, 427 tasks).

The prompt is evalplus's: the task text and the first test inside a docstring, which a base model continues
with the function. The hidden test is every assert of `test_list` after the code (and the dataset's test
imports and setup); the visible test is the first of them, the one the prompt shows.

Three tasks test what the CPython version does rather than what the code does (VERSION_DEPENDENT): their
reference fails on the sandbox's CPython 3.11. They are kept (dropping them would change the score's
denominator), and `extra["flaky"]` says why a correct answer may fail them.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..i18n import _
from ..vocabulary import Language
from .base import DatasetError, JobSpec, Record, Task, load_records, python_check
from .examples import check_program, join_python, parse
from .graded import graded_python_job

FULL_FILES = ("mbpp.jsonl", "mbpp.jsonl.gz")
SANITIZED_FILES = ("sanitized-mbpp.json", "sanitized-mbpp.json.gz", "sanitized-mbpp.jsonl")
HUB = "google-research-datasets/mbpp"

# Tests written against an older CPython; the reference fails them on the sandbox's 3.11 (measured).
VERSION_DEPENDENT = {
    341: "expects tuple({12, 13, 14, 15, 16}) == (12, 13, 14, 15, 16): set iteration order, which CPython "
         "3.11 gives as (16, 12, 13, 14, 15)",
    596: "expects sys.getsizeof of a 6-tuple to be 104 bytes; CPython 3.11 on 64-bit Linux says 88",
    642: "compares with a set literal of tuple(set(pair)) values, whose order follows CPython's set and tuple "
         "hashing, which changed since the test was written",
}


@dataclass(frozen=True)
class MbppTask(Task):
    tests: tuple[str, ...] = ()  # the asserts of test_list
    setup: str = ""  # test imports and test_setup_code, run after the code (the setup may use its classes)

    def test_job(self, code: str) -> JobSpec:
        return python_check(code, join_python(self.setup, "\n".join(self.tests)), self.timeout_s)

    def graded_job(self, code: str) -> JobSpec:
        """One test per assert of test_list, each after the setup (graded.py)."""
        return graded_python_job(code, self.setup, "\n".join(self.tests), self.timeout_s)

    def visible_job(self, code: str) -> JobSpec:
        return python_check(code, join_python(self.setup, check_program(self.visible, tolerance=False)),
                            self.timeout_s)


def load_full(dataset_path: Optional[Path] = None, from_hub: bool = False) -> list[Task]:
    records = load_records(dataset_path, FULL_FILES, "mbpp", HUB, "full", from_hub)
    return [make_task(record, "mbpp", text_field="text") for record in records]


def load_sanitized(dataset_path: Optional[Path] = None, from_hub: bool = False) -> list[Task]:
    records = load_records(dataset_path, SANITIZED_FILES, "mbpp-sanitized", HUB, "sanitized", from_hub)
    return [make_task(record, "mbpp-sanitized", text_field="prompt") for record in records]


def make_task(record: Record, dataset: str, text_field: str) -> MbppTask:
    number = record.get("task_id", int)
    text = _unix(str(record.get(text_field, str)))
    code = _unix(str(record.get("code", str)))
    tests = tuple(_unix(test) for test in record.get("test_list", list))
    if not tests:
        raise DatasetError(_("{where}: test_list is empty").format(where=record.where))
    imports = [_unix(line) for line in record.row.get("test_imports") or []]
    setup = "\n".join([*imports, _unix(record.row.get("test_setup_code") or "")])
    extra: dict = {"challenge_tests": list(record.row.get("challenge_test_list") or [])}
    if number in VERSION_DEPENDENT:
        extra["flaky"] = VERSION_DEPENDENT[number]
    return MbppTask(
        task_id=f"Mbpp/{number}",
        dataset=dataset,
        language=Language.python,
        prompt=f'"""\n{text}\n{tests[0]}\n"""\n',
        entry_point=entry_point(tests[0], code),
        reference=code,
        visible=tests[0],
        timeout_s=20.0,
        prompt_opens_function=False,  # a docstring: a base model writes the whole program after it
        tests=tests,
        setup=setup.strip("\n"),
        extra=extra,
    )


def entry_point(test: str, code: str) -> str:
    """The function the test calls: the first called name that the code defines, else the first one that
    is not a builtin (`assert set(similar_elements(a, b)) == ...` -> similar_elements)."""
    try:
        calls = [node for node in ast.walk(parse(test)) if isinstance(node, ast.Call)
                 and isinstance(node.func, ast.Name)]
    except SyntaxError:
        return ""
    names = [call.func.id for call in sorted(calls, key=lambda call: (call.lineno, call.col_offset))]
    try:
        defined = {node.name for node in parse(code).body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    except SyntaxError:
        defined = set()
    for name in names:
        if name in defined:
            return name
    return next((name for name in names if not hasattr(builtins, name)), "")


def _unix(text: str) -> str:
    return text.replace("\r\n", "\n")
