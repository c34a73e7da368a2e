"""What a benchmark task is: what the model is asked, and how an answer is tested in the sandbox.

One file per dataset in this package defines a `Task` subclass and a `load(path)` function (mbpp.py and
humaneval_x.py, each serving two datasets, have two); `__init__.py` holds the registry. A task never runs
anything itself: it turns code into sandbox jobs (`JobSpec`), and the bench runner sends them to
`codeforge.sandbox`.

`code` everywhere here is a complete program text as a model would return it in a fenced block: the whole
function (with its imports) for HumanEval-style tasks, the whole file body for Go and C++ tasks.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional

from ..i18n import _, ngettext
from ..vocabulary import Action, Language


class DatasetError(Exception):
    """A dataset cannot be read; the message says what to pass instead (--dataset-path, a fixed line)."""


@dataclass(frozen=True)
class JobSpec:
    """A program to run, short of the job id and limits (the runner adds those). `tests`: test files the
    program never sees (Python: they run in the sandbox's harness process and call into the program).
    `function`: the function under test of a Go `unittest` job (whose one test file is the candidate)."""

    language: Language
    files: dict[str, str]
    action: Action
    timeout_s: float
    tests: dict[str, str] = field(default_factory=dict)
    function: Optional[str] = None

    def job(self, id: str, timeout_s: Optional[float] = None, memory_mb: Optional[int] = None):
        """The sandbox Job for this program (`timeout_s` and `memory_mb` override the spec's limits)."""
        from ..sandbox.jobs import Job

        limits = {"memory_mb": memory_mb} if memory_mb is not None else {}
        return Job(id=id, language=self.language, files=self.files, tests=self.tests or None, action=self.action,
                   function=self.function, timeout_s=timeout_s or self.timeout_s, **limits)


@dataclass(frozen=True)
class Ask:
    """What a chat model is asked for when it is not "solve this problem" (the evalplus wording, which every
    other task gets): `request` is the whole first message, `prefill` opens the answer, `fix` asks again after
    feedback. `answer`: what the code block holds, "program" or "test" (a test file: the block that declares
    tests is the answer, whatever else the model wrote)."""

    request: str
    prefill: str
    fix: str
    answer: str = "program"


PROGRAM = "solution.py"  # the module a Python task's tests see the program as (`import solution` works too)
CHECK = "check.py"


def python_check(program: str, tests: str, timeout_s: float, **more_tests: str) -> JobSpec:
    """A Python program and the test script that checks it from the harness, where the program's names are in
    scope (`check(candidate)`, MBPP's asserts): the verdict is the harness's, not the program's exit status."""
    return JobSpec(Language.python, {PROGRAM: program}, Action.test, timeout_s, {CHECK: tests, **more_tests})


@dataclass(frozen=True)
class Task(ABC):
    """One benchmark problem.

    prompt: the text a base model continues (HumanEval's signature + docstring, MBPP's docstring with the
        first test); chat prompts are built from it too.
    entry_point: the function the tests call.
    reference: a complete program that passes (the dataset's canonical solution, composed as `code`).
    visible: the examples the prompt itself shows, as test text in the task's language ("" if none).
    """

    task_id: str
    dataset: str
    language: Language
    prompt: str
    entry_point: str
    reference: str
    visible: str = ""
    timeout_s: float = 20.0
    prompt_opens_function: bool = True  # False: a base model writes the whole program (MBPP's docstring prompt)
    extra: dict = field(default_factory=dict, compare=False, repr=False)

    def code_from_completion(self, completion: str) -> str:
        """A base model's continuation of `prompt` turned into `code` (default: prompt + completion)."""
        return self.prompt + completion

    def ask(self) -> Optional[Ask]:
        """The chat wording of this task; None: the evalplus instruction built from `prompt`."""
        return None

    @property
    def answer(self) -> str:
        """What an answer to this task is: "program", "test" (a test file for a function: go-unittest) or
        "text" (prose, scored by similarity metrics only: a text task)."""
        ask = self.ask()
        return ask.answer if ask is not None else "program"

    def program_file(self, code: str) -> str:
        """`code` as the one complete file its tests compile it as, so an analyser's line numbers are those of the
        code a person (or a model) is shown. Default: the code itself."""
        return code

    @abstractmethod
    def test_job(self, code: str) -> JobSpec:
        """The program that runs `code` against the dataset's own (hidden) tests."""

    def graded_job(self, code: str) -> JobSpec:
        """The tests of `test_job` with one outcome per test, in the result's details["tests"], for rewards that
        count the share of tests a program passes. It passes when `test_job` does. Default: `test_job` itself,
        whose tests report one outcome each already (Go's test functions, a pytest file) or cannot be split
        (a C++ main)."""
        return self.test_job(code)

    @abstractmethod
    def visible_job(self, code: str) -> JobSpec:
        """The program that runs `code` against the visible examples only; with none, it still compiles
        and loads the code, so syntax, compile and import-time errors show."""


def python_imports(text: str) -> str:
    """The top-level import lines of `text` (HumanEval prompts import typing names the answers use)."""
    lines = [line for line in text.splitlines() if re.match(r"(import|from)\s+\w", line)]
    return "\n".join(lines) + ("\n" if lines else "")


def find_file(path: Optional[Path], names: tuple[str, ...], dataset: str) -> Optional[Path]:
    """`path` itself when it is a file, else the first of `names` inside the directory `path`."""
    if path is None:
        return None
    if path.is_file():
        return path
    if path.is_dir():
        for name in names:
            if (path / name).is_file():
                return path / name
        raise DatasetError(_("{path} holds none of {names} for {dataset}: pass the file itself with "
                             "--dataset-path").format(path=path, names=", ".join(names), dataset=dataset))
    raise DatasetError(_("--dataset-path {path} does not exist").format(path=path))


# -- reading the data -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """One row of a dataset file and where it came from, for error messages ("FILE line N")."""

    row: dict
    where: str

    def get(self, name: str, *types: type) -> object:
        """A required field, of one of `types` when given; a DatasetError naming the line when it is not."""
        if name not in self.row:
            raise DatasetError(_("{where}: missing field {field}").format(where=self.where, field=repr(name)))
        value = self.row[name]
        if types and not isinstance(value, types):
            raise DatasetError(_("{where}: field {field} is {found}, expected {expected}").format(
                where=self.where, field=repr(name), found=type(value).__name__,
                expected=_(" or ").join(t.__name__ for t in types)))
        return value


MAX_REPORTED_ERRORS = 10


def bad_lines_error(path: Path | str, errors: list[str], unit: str = "line") -> DatasetError:
    """One error naming every bad line (or hub row: `unit`), up to ten, then a count, so one fix-and-rerun fixes
    them all."""
    shown = errors[:MAX_REPORTED_ERRORS]
    more = ("\n" + _("... and {count} more").format(count=len(errors) - len(shown))
            if len(errors) > len(shown) else "")
    if unit == "row":
        head = ngettext("{path}: {count} bad row(s), nothing was run:",
                        "{path}: {count} bad row(s), nothing was run:", len(errors))
    else:
        head = ngettext("{path}: {count} bad line(s), nothing was run:",
                        "{path}: {count} bad line(s), nothing was run:", len(errors))
    return DatasetError(head.format(path=path, count=len(errors)) + "\n" + "\n".join(shown) + more)


def read_records(path: Path) -> list[Record]:
    """JSON lines, or one JSON array (as sanitized-mbpp.json is); gzip-compressed or plain. Every line that is
    not a JSON object is reported at once."""
    import gzip
    import json

    try:
        raw = path.read_bytes()
        text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8")
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise DatasetError(_("cannot read {path}: {error}").format(path=path, error=exc)) from exc
    errors: list[str] = []
    if text.lstrip().startswith("["):
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DatasetError(_("{path} line {number}: not valid JSON ({reason})").format(
                path=path, number=exc.lineno, reason=exc.msg)) from exc
        records = [Record(row, _("{path} item {number}").format(path=path, number=number))
                   for number, row in enumerate(rows, 1)]
    else:
        records = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.append(_("line {number}: not valid JSON ({reason}, column {column})").format(
                    number=number, reason=exc.msg, column=exc.colno))
                continue
            # in every language the place starts with "{path} ": the error lists strip that prefix
            records.append(Record(row, _("{path} line {number}").format(path=path, number=number)))
    for record in records:
        if not isinstance(record.row, dict):
            errors.append(_("{where}: expected a JSON object, found {found}").format(
                where=record.where.removeprefix(str(path) + " "), found=type(record.row).__name__))
    if len(errors) == 1:
        raise DatasetError(f"{path} {errors[0]}")  # untranslated: no words of its own, errors[0] is translated
    if errors:
        raise bad_lines_error(path, errors)
    return records


PACKAGED = Path(__file__).with_name("data")  # the data that ships with codeforge (data/README.md)


def data_file(dataset_path: Optional[Path], names: tuple[str, ...], dataset: str) -> Optional[Path]:
    """The dataset's file given by the user: `dataset_path` (a file, or a directory holding one of `names`),
    else the one in $CODEFORGE_DATA_DIR, else None."""
    import os

    if dataset_path is not None:
        return find_file(Path(dataset_path), names, dataset)
    directory = os.environ.get("CODEFORGE_DATA_DIR")
    if directory:
        for name in names:
            if (Path(directory) / name).is_file():
                return Path(directory) / name
    return None


def packaged_file(names: tuple[str, ...], dataset: str) -> Path:
    for name in names:
        if (PACKAGED / name).is_file():
            return PACKAGED / name
    raise DatasetError(_("the copy of {dataset} shipped with codeforge is missing from {folder} (a broken "
                         "install?): reinstall codeforge, or pass --dataset-path with {file}").format(
        dataset=dataset, folder=PACKAGED, file=names[0]))


def load_records(dataset_path: Optional[Path], names: tuple[str, ...], dataset: str, repo: str,
                 config: Optional[str] = None, from_hub: bool = False) -> list[Record]:
    """The dataset's rows: from the user's file (see `data_file`), else from the Hugging Face hub when
    `from_hub`, else from the copy shipped in the package."""
    path = data_file(dataset_path, names, dataset)
    if path is not None:
        if from_hub and dataset_path is not None:
            raise DatasetError(_("--dataset-path and --from-hub name two sources: choose one"))
        return read_records(path)
    if from_hub:
        hint = _("leave out --from-hub to use the copy shipped with codeforge, or pass --dataset-path with "
                 "{file} (or a directory holding it)").format(file=names[0])
        rows = [dict(row) for _, split in hub_splits(repo, config, dataset, hint) for row in split]
        # MBPP's splits hold ranges of task ids; put them back in dataset order.
        if rows and all(isinstance(row.get("task_id"), int) for row in rows):
            rows.sort(key=lambda row: row["task_id"])
        return [Record(row, _("{repo} row {number}").format(repo=repo, number=number))
                for number, row in enumerate(rows, 1)]
    return read_records(packaged_file(names, dataset))


def hub_splits(repo: str, config: Optional[str], dataset: str, hint: str, split: Optional[str] = None,
               needed_by: str = "--from-hub") -> list[tuple[str, object]]:
    """The splits of a Hugging Face hub dataset in the dataset's own order (only `split` when given), as Arrow
    datasets whose rows are read when iterated. A copy in the local cache loads offline. Every failure is one
    DatasetError: the repo, why, and `hint` (what to do instead); `needed_by` is what asked for the hub."""
    import os

    try:
        import datasets
    except ImportError as exc:
        raise DatasetError(_("{needed_by} needs the `datasets` package (pip install 'codeforge[train]', or "
                             "pip install datasets); or {hint}").format(needed_by=needed_by, hint=hint)) from exc
    offline = os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")
    try:
        with _offline_mode(offline):
            loaded = datasets.load_dataset(repo, config, split=split)
    except Exception as exc:  # the hub raises many kinds (connection, offline mode, missing files, a bad split)
        why = str(exc).strip().splitlines()[0].rstrip(".") if str(exc).strip() else type(exc).__name__
        raise DatasetError(_("{dataset} could not be loaded from the Hugging Face hub ({repo}): {reason}. Fix: "
                             "{hint}").format(dataset=dataset, repo=repo + (", " + config if config else ""),
                                              reason=why, hint=hint)) from exc
    return [(split, loaded)] if split is not None else list(loaded.items())


@contextmanager
def _offline_mode(offline: bool) -> Iterator[None]:
    """huggingface_hub and datasets read HF_HUB_OFFLINE once, when first imported. When it is set now, make
    them honour it for this call too, so that an offline machine fails in a second instead of retrying the
    network for half a minute (a dataset already in the local cache still loads)."""
    if not offline:
        yield
        return
    import datasets.config
    import huggingface_hub.constants

    saved = [(module, module.HF_HUB_OFFLINE) for module in (datasets.config, huggingface_hub.constants)]
    for module, _flag in saved:
        module.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        for module, value in saved:
            module.HF_HUB_OFFLINE = value
