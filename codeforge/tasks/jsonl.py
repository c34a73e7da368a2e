"""Your own tasks: `jsonl:PATH`, one JSON object per line (gzip or plain).

    {"task_id": "demo/0", "prompt": "def add(a, b):\\n    \\"\\"\\"Sum.\\n    >>> add(2, 3)\\n    5\\n    \\"\\"\\"\\n",
     "canonical_solution": "    return a + b\\n", "test": "def check(f):\\n    assert f(1, 2) == 3\\n"}

Required:
    task_id         unique
    prompt          what the model continues (a signature and docstring) or is asked
    test            Python: statements run after the code; if they define `check`, `check(entry_point)`
                    is called, as in HumanEval. Or a pytest file (it defines `test_*` functions or `Test*`
                    classes and calls none of them), as KodCode's: it imports the program as the module
                    `solution` (`from solution import f`) and runs under pytest, one outcome per test.
                    Go: test functions (imports are added as in HumanEval-X). C++: code with main() that
                    asserts.
Optional:
    language        python (default), go or cpp
    entry_point     the function under test; default: the last function the prompt defines
    canonical_solution  the completion of prompt that solves it (reference = prompt + canonical_solution),
    reference       or the complete solution instead
    visible_test    the examples a model may see, in the test's form (Python: assert statements); Python
                    default: the examples of the entry point's docstring
    timeout_s       seconds per run (default 20; 60 for go and cpp)
    kind            go-unittest: the model writes a Go test file for a function of a package the row gives
                    ({"kind": "go-unittest", "task_id", "files", "function"}; go_unittest.make_row_task has the
                    fields); text: a prose answer scored only by `bench --metrics` against `reference`
                    ({"kind": "text", "task_id", "prompt", "reference"}; text.py); any other kind is kept in
                    Task.extra
Other fields are kept in Task.extra.

A Python program is composed as HumanEval's: the prompt's imports, then the functions the prompt defines besides
the entry point that the program does not define itself (a chat answer that rewrites only the entry point), then
the program. A prompt that opens no function (a docstring, as MBPP's, or prose) is followed by the whole
program: a base model is stopped as after MBPP's. `row_of(task)` writes a task of any dataset (humaneval+ aside) as a row of this schema.

KodCode's own rows (KodCode/KodCode-V1) load as they are: `question_id`, `question` and `solution` stand for
task_id, prompt and reference, and the entry point is the first function of `test_info`.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

from ..i18n import _
from ..vocabulary import Action, Language
from .base import (PROGRAM, DatasetError, JobSpec, Record, Task, bad_lines_error, python_check, python_imports,
                   read_records)
from .examples import check_program, join_python, parse, parse_examples
from . import go_unittest, text
from .graded import graded_python_job, split_check, split_script
from .humaneval import prompt_helpers
from .humaneval_x import CppTask, GoTask, cpp_entry_point, cpp_headers

KNOWN = {"task_id", "prompt", "test", "language", "entry_point", "canonical_solution", "reference",
         "visible_test", "timeout_s"}
KODCODE = {"question_id": "task_id", "question": "prompt", "solution": "reference"}  # their names -> ours
PYTEST_FILE = "test_solution.py"  # a pytest task's test file, beside the program's solution.py
LANGUAGES = {"python": Language.python, "go": Language.go, "cpp": Language.cpp, "c++": Language.cpp}
_DEFINITION = {
    Language.python: re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+(\w+)[ \t]*\(", re.M),
    Language.go: re.compile(r"^func[ \t]+(?:\([^)]*\)[ \t]*)?(\w+)[ \t]*\(", re.M),
}


@dataclass(frozen=True)
class PythonTask(Task):
    test: str = ""

    def complete(self, code: str) -> str:
        """`code` with the prompt's imports and the helper functions the prompt defines that the code does not
        (a chat answer that rewrites only the entry point), as HumanEval composes it."""
        return join_python(python_imports(self.prompt), *prompt_helpers(self.prompt, self.entry_point, code), code)

    def test_job(self, code: str) -> JobSpec:
        call = f"check({self.entry_point})" if _defines_check(self.test) else ""
        imports = python_imports(self.prompt)
        return python_check(self.complete(code), join_python(imports, self.test, call), self.timeout_s)

    def graded_job(self, code: str) -> JobSpec:
        """One test per assertion (graded.py): of `check` when the test defines it, else of the statements."""
        imports = python_imports(self.prompt)
        try:
            split = split_check(self.test) if _defines_check(self.test) else None
            module, statements = (split[0], split[2]) if split else split_script(self.test)
        except SyntaxError:  # the sandbox reports it, as test_job does
            return self.test_job(code)
        candidate = (split[1], self.entry_point) if split else None
        return graded_python_job(self.complete(code), join_python(imports, module), statements,
                                 self.timeout_s, candidate)

    def visible_job(self, code: str) -> JobSpec:
        checks = check_program(self.visible, tolerance=True) if self.visible.strip() else ""
        imports = python_imports(self.prompt)
        return python_check(self.complete(code), join_python(imports, checks), self.timeout_s)


@dataclass(frozen=True)
class PytestTask(PythonTask):
    """A task whose test is a pytest file importing the program as `solution` (KodCode's form). The prompt
    may be prose: its imports are added to the code, and a completion continues it, only when it is Python."""

    def code_from_completion(self, completion: str) -> str:
        return self.prompt + completion if _is_python(self.prompt) else completion

    def test_job(self, code: str) -> JobSpec:
        imports = python_imports(self.prompt) if _is_python(self.prompt) else ""
        return JobSpec(Language.python, {PROGRAM: join_python(imports, code)}, Action.test, self.timeout_s,
                       {PYTEST_FILE: self.test})

    def graded_job(self, code: str) -> JobSpec:
        """The test file itself: pytest reports each of its tests."""
        return self.test_job(code)

    def visible_job(self, code: str) -> JobSpec:
        imports = python_imports(self.prompt) if _is_python(self.prompt) else ""
        checks = check_program(self.visible, tolerance=True) if self.visible.strip() else ""
        return python_check(join_python(imports, code), checks, self.timeout_s)


def load(path: Path, max_prompt_tokens: Optional[int] = None) -> list[Task]:
    path = Path(path)
    if not path.is_file():
        raise DatasetError(_("jsonl:{path}: no such file").format(path=path))
    return make_tasks(read_records(path), f"jsonl:{path.name}", path, max_prompt_tokens=max_prompt_tokens)


def make_tasks(records: Iterable[Record], dataset: str, source, limit: Optional[int] = None,
               unit: str = "line", max_prompt_tokens: Optional[int] = None) -> list[Task]:
    """Every record made into a task of `dataset` (up to `limit` tasks), or one DatasetError naming every bad
    record and every task id used twice (`source`: the file or spec the records came from)."""
    tasks: list[Task] = []
    seen: dict[str, str] = {}
    errors: list[str] = []
    for record in records:
        if limit is not None and len(tasks) >= limit:
            break
        try:
            task = make_task(record, dataset=dataset, max_prompt_tokens=max_prompt_tokens)
        except DatasetError as exc:
            errors.append(str(exc))
            continue
        if task.task_id in seen:
            errors.append(_("{where}: task_id {task_id} already used at {first}").format(
                where=record.where, task_id=repr(task.task_id), first=seen[task.task_id]))
            continue
        seen[task.task_id] = record.where
        tasks.append(task)
    if len(errors) == 1:
        raise DatasetError(errors[0])
    if errors:
        raise bad_lines_error(source, [e.removeprefix(f"{source} ") for e in errors], unit=unit)
    return tasks


def make_task(record: Record, dataset: str, max_prompt_tokens: Optional[int] = None) -> Task:
    if record.row.get("kind") == go_unittest.KIND:
        return go_unittest.make_row_task(record, dataset, max_prompt_tokens)
    if record.row.get("kind") == text.KIND:
        return text.make_row_task(record, dataset)
    if "task_id" not in record.row and "question_id" in record.row:
        record = kodcode_record(record)
    row = record.row
    missing = [name for name in ("task_id", "prompt", "test") if name not in row]
    if missing:
        raise DatasetError(_("{where}: missing required field(s) {fields}").format(where=record.where,
                                                                                fields=", ".join(missing)))
    task_id, prompt, test = str(record.get("task_id", str, int)), str(record.get("prompt", str)), \
        str(record.get("test", str))
    language = LANGUAGES.get(str(row.get("language") or "python").lower())
    if language is None:
        raise DatasetError(_("{where}: language {language} is not one of python, go, cpp").format(
            where=record.where, language=repr(row.get("language"))))
    entry_point = str(row.get("entry_point") or _last_definition(prompt, language)
                      or (_imported_from_solution(test) if language is Language.python else ""))
    if not entry_point:
        raise DatasetError(_("{where}: no entry_point, and the prompt defines no function to take it from").format(
            where=record.where))
    if "reference" in row:
        reference = str(record.get("reference", str))
    elif "canonical_solution" in row:
        reference = prompt + str(record.get("canonical_solution", str))
    else:
        reference = ""
    timeout = row.get("timeout_s", 20.0 if language is Language.python else 60.0)
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
        raise DatasetError(_("{where}: timeout_s must be a positive number of seconds").format(where=record.where))
    common = dict(task_id=task_id, dataset=dataset, language=language, prompt=prompt, entry_point=entry_point,
                  reference=reference, timeout_s=float(timeout), test=test,
                  extra={key: value for key, value in row.items() if key not in KNOWN})
    visible = row.get("visible_test")
    if visible is not None and not isinstance(visible, str):
        raise DatasetError(_("{where}: visible_test must be a string").format(where=record.where))
    if language is Language.python:
        if visible is None:
            visible = "\n".join(e.assertion for e in parse_examples(prompt, entry_point))
        if pytest_file(test, record.where):
            return PytestTask(visible=visible, prompt_opens_function=_is_python(prompt), **common)
        # A prompt that opens no function (a docstring, prose) is followed by the whole program, as MBPP's is.
        return PythonTask(visible=visible, prompt_opens_function=bool(_DEFINITION[language].search(prompt)), **common)
    if language is Language.go:
        return GoTask(visible=visible or "", **common)
    return CppTask(visible=visible or "", headers=cpp_headers(prompt), **common)


def kodcode_record(record: Record) -> Record:
    """A KodCode row in this schema's names; its entry point is the first function `test_info` describes."""
    row = {KODCODE.get(key, key): value for key, value in record.row.items()}
    info = row.get("test_info")
    if "entry_point" not in row and isinstance(info, list) and info and isinstance(info[0], dict) \
            and info[0].get("function_name"):
        row["entry_point"] = str(info[0]["function_name"])
    return Record(row, record.where)


def pytest_file(test: str, where: str) -> bool:
    """Whether a Python test is a pytest file: it defines `test_*` functions or `Test*` classes and calls none
    of them itself (a script that calls its test functions runs as a script). A pytest file must import the
    program, as the module `solution`: nothing else puts the program's names in its scope."""
    try:
        tree = parse(test)
    except SyntaxError:
        return False  # the sandbox reports the test's syntax error when it runs
    if _defines_check(test):
        return False  # HumanEval's form: check(entry_point) is called after it
    tests = [node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
             and node.name.startswith("test") or isinstance(node, ast.ClassDef) and node.name.startswith("Test")]
    called = {node.func.id for statement in tree.body if not isinstance(statement, (ast.FunctionDef, ast.ClassDef))
              for node in ast.walk(statement) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    if not tests or called & set(tests):
        return False
    imported = any(isinstance(node, ast.ImportFrom) and node.module == "solution" or isinstance(node, ast.Import)
                   and any(alias.name == "solution" for alias in node.names) for node in ast.walk(tree))
    if not imported:
        raise DatasetError(_("{where}: the test is a pytest file (it defines {test}) but does not import the "
                             "solution: add `from solution import <the function>` (the program is the module "
                             "`solution`)").format(where=where, test=tests[0]))
    return True


def _imported_from_solution(test: str) -> str:
    """The first name a pytest file imports from the program (`from solution import f` -> f)."""
    try:
        tree = parse(test)
    except SyntaxError:
        return ""
    names = [alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module == "solution"
             for alias in node.names if alias.name != "*"]
    return names[0] if names else ""


def _is_python(text: str) -> bool:
    try:
        parse(text)
    except SyntaxError:
        return False
    return True


def _defines_check(test: str) -> bool:
    return re.search(r"^def\s+check\s*\(", test, re.M) is not None


def _last_definition(prompt: str, language: Language) -> str:
    if language is Language.cpp:
        try:
            return cpp_entry_point(prompt)
        except DatasetError:
            return ""
    names = _DEFINITION[language].findall(prompt)
    return names[-1] if names else ""


# -- writing tasks back as rows -------------------------------------------------------------------------------


def row_of(task: Task) -> dict:
    """`task` as a row of this schema that `make_task` loads back into a task with the same tests (the same
    test job for the same code, for the dataset's reference and for any answer that writes the prompt's
    helpers itself). Its extra fields go into the row. A DatasetError when the schema cannot carry the
    task's tests: HumanEval+'s plus inputs are checked by a harness of its own against the reference."""
    from .humaneval import HumanEvalTask
    from .humaneval_plus import HumanEvalPlusTask
    from .humaneval_x import go_body, go_imports
    from .mbpp import MbppTask

    common = {"task_id": task.task_id, "prompt": task.prompt, "entry_point": task.entry_point,
              "reference": task.reference, "timeout_s": task.timeout_s}
    if isinstance(task, go_unittest.GoUnitTestTask):
        extra = {k: v for k, v in task.extra.items() if k not in go_unittest.COMPUTED_EXTRA}
        return {**extra, "kind": go_unittest.KIND, "task_id": task.task_id, "files": dict(task.files),
                "function": task.entry_point, "reference": task.reference, "timeout_s": task.timeout_s}
    if isinstance(task, text.TextTask):
        return {**task.extra, "kind": text.KIND, "task_id": task.task_id, "prompt": task.prompt,
                "reference": task.reference}
    if isinstance(task, HumanEvalPlusTask):
        raise DatasetError(_("{dataset} {task_id}: a jsonl row cannot carry HumanEval+'s plus inputs (its harness "
                             "checks each input against the reference's output), so its tests would be lost: use "
                             "runs on humaneval, whose tasks are the same with HumanEval's own tests").format(
            dataset=task.dataset, task_id=task.task_id))
    if isinstance(task, HumanEvalTask):
        # The prompt's helper functions are the tests' own (HumanEval/32's check calls poly), put in the test.
        helpers = prompt_helpers(task.prompt, task.entry_point, "")
        row = {**common, "test": join_python(*helpers, task.test), "visible_test": task.visible}
    elif isinstance(task, MbppTask):
        row = {**common, "test": join_python(task.setup, "\n".join(task.tests)), "visible_test": task.visible}
    elif isinstance(task, GoTask):
        # The dataset's test_setup (an import block) joins the test's own imports, after them, as go_file reads it.
        imports = go_imports(task.test) + go_imports(task.test_setup)
        specs = "".join(f'    {alias + " " if alias else ""}"{path}"\n' for alias, path in imports)
        block = f"import (\n{specs})\n"
        row = {**common, "language": "go", "test": f"{block}\n{go_body(task.test)}" if imports else task.test,
               "visible_test": task.visible}
    elif isinstance(task, CppTask):
        row = {**common, "language": "cpp", "prompt": _with_headers(task.prompt, task.headers), "test": task.test,
               "visible_test": task.visible}
    elif isinstance(task, PythonTask):
        row = {**common, "language": "python", "test": task.test, "visible_test": task.visible}
    else:
        raise DatasetError(_("{dataset} {task_id}: tasks of this kind ({kind}) have no jsonl row form").format(
            dataset=task.dataset, task_id=task.task_id, kind=type(task).__name__))
    return {**{k: v for k, v in task.extra.items() if k not in KNOWN}, **row}


def _with_headers(prompt: str, headers: str) -> str:
    """A C++ prompt whose includes are exactly `headers`, in their order: jsonl takes a task's includes from its
    prompt, and HumanEval-X declares them elsewhere (some not in the prompt at all). They replace the prompt's
    own include lines, at its top."""
    if cpp_headers(prompt) == headers:
        return prompt
    rest = [line for line in prompt.splitlines(keepends=True) if not cpp_headers(line)]
    return headers + "".join(rest)
