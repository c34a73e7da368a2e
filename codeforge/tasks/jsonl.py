"""Your own tasks: `jsonl:PATH`, one JSON object per line (gzip or plain).

    {"task_id": "demo/0", "prompt": "def add(a, b):\\n    \\"\\"\\"Sum.\\n    >>> add(2, 3)\\n    5\\n    \\"\\"\\"\\n",
     "canonical_solution": "    return a + b\\n", "test": "def check(f):\\n    assert f(1, 2) == 3\\n"}

Required:
    task_id         unique
    prompt          what the model continues (a signature and docstring) or is asked
    test            Python: statements run after the code; if they define `check`, `check(entry_point)`
                    is called, as in HumanEval. Go: test functions (imports are added as in HumanEval-X).
                    C++: code with main() that asserts.
Optional:
    language        python (default), go or cpp
    entry_point     the function under test; default: the last function the prompt defines
    canonical_solution  the completion of prompt that solves it (reference = prompt + canonical_solution),
    reference       or the complete solution instead
    visible_test    the examples a model may see, in the test's form (Python: assert statements); Python
                    default: the examples of the entry point's docstring
    timeout_s       seconds per run (default 20; 60 for go and cpp)
Other fields are kept in Task.extra.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..vocabulary import Language
from .base import (DatasetError, JobSpec, Record, Task, bad_lines_error, python_check, python_imports,
                   read_records)
from .examples import check_program, join_python, parse_examples
from .humaneval_x import CppTask, GoTask, cpp_entry_point, cpp_headers

KNOWN = {"task_id", "prompt", "test", "language", "entry_point", "canonical_solution", "reference",
         "visible_test", "timeout_s"}
LANGUAGES = {"python": Language.python, "go": Language.go, "cpp": Language.cpp, "c++": Language.cpp}
_DEFINITION = {
    Language.python: re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+(\w+)[ \t]*\(", re.M),
    Language.go: re.compile(r"^func[ \t]+(?:\([^)]*\)[ \t]*)?(\w+)[ \t]*\(", re.M),
}


@dataclass(frozen=True)
class PythonTask(Task):
    test: str = ""

    def test_job(self, code: str) -> JobSpec:
        call = f"check({self.entry_point})" if re.search(r"^def\s+check\s*\(", self.test, re.M) else ""
        imports = python_imports(self.prompt)
        return python_check(join_python(imports, code), join_python(imports, self.test, call), self.timeout_s)

    def visible_job(self, code: str) -> JobSpec:
        checks = check_program(self.visible, tolerance=True) if self.visible.strip() else ""
        imports = python_imports(self.prompt)
        return python_check(join_python(imports, code), join_python(imports, checks), self.timeout_s)


def load(path: Path) -> list[Task]:
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"jsonl:{path}: no such file")
    tasks: list[Task] = []
    seen: dict[str, str] = {}
    errors: list[str] = []
    for record in read_records(path):
        try:
            task = make_task(record, dataset=f"jsonl:{path.name}")
        except DatasetError as exc:
            errors.append(str(exc))
            continue
        if task.task_id in seen:
            errors.append(f"{record.where}: task_id {task.task_id!r} already used at {seen[task.task_id]}")
            continue
        seen[task.task_id] = record.where
        tasks.append(task)
    if len(errors) == 1:
        raise DatasetError(errors[0])
    if errors:
        raise bad_lines_error(path, [e.removeprefix(f"{path} ") for e in errors])
    return tasks


def make_task(record: Record, dataset: str) -> Task:
    row = record.row
    missing = [name for name in ("task_id", "prompt", "test") if name not in row]
    if missing:
        raise DatasetError(f"{record.where}: missing required field(s) {', '.join(missing)}")
    task_id, prompt, test = str(record.get("task_id", str, int)), str(record.get("prompt", str)), \
        str(record.get("test", str))
    language = LANGUAGES.get(str(row.get("language") or "python").lower())
    if language is None:
        raise DatasetError(f"{record.where}: language {row.get('language')!r} is not one of python, go, cpp")
    entry_point = str(row.get("entry_point") or _last_definition(prompt, language))
    if not entry_point:
        raise DatasetError(f"{record.where}: no entry_point, and the prompt defines no function to take it from")
    if "reference" in row:
        reference = str(record.get("reference", str))
    elif "canonical_solution" in row:
        reference = prompt + str(record.get("canonical_solution", str))
    else:
        reference = ""
    timeout = row.get("timeout_s", 20.0 if language is Language.python else 60.0)
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
        raise DatasetError(f"{record.where}: timeout_s must be a positive number of seconds")
    common = dict(task_id=task_id, dataset=dataset, language=language, prompt=prompt, entry_point=entry_point,
                  reference=reference, timeout_s=float(timeout), test=test,
                  extra={key: value for key, value in row.items() if key not in KNOWN})
    visible = row.get("visible_test")
    if visible is not None and not isinstance(visible, str):
        raise DatasetError(f"{record.where}: visible_test must be a string")
    if language is Language.python:
        if visible is None:
            visible = "\n".join(e.assertion for e in parse_examples(prompt, entry_point))
        return PythonTask(visible=visible, **common)
    if language is Language.go:
        return GoTask(visible=visible or "", **common)
    return CppTask(visible=visible or "", headers=cpp_headers(prompt), **common)


def _last_definition(prompt: str, language: Language) -> str:
    if language is Language.cpp:
        try:
            return cpp_entry_point(prompt)
        except DatasetError:
            return ""
    names = _DEFINITION[language].findall(prompt)
    return names[-1] if names else ""
