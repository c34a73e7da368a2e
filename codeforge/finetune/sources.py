"""Where training programs come from: `mbpp`, `jsonl:PATH` and `run:NAME`, read through codeforge.tasks (the one
reader of datasets) and the results store.

A source gives `Program`s (a task and a program that solves it: the reference, or a stored sample that
passed) and, from a jsonl file of text pairs, `Pair`s. A jsonl file is read one of two ways, by its first
row:

- text pairs: every row has `prompt` and `completion` (plain text: the prompt is sent as it is, the loss is
  on the completion), or `messages` (a chat: [{"role", "content"}, ...] ending in the assistant's answer,
  which is what is trained on). Any text-to-text task works this way, e.g. a summarisation adapter.
- tasks: the format `codeforge bench jsonl:PATH` reads (task_id, prompt, test, and `reference` or
  `canonical_solution`; see codeforge.tasks.jsonl). Each task's reference is a training program, prompted
  exactly as bench prompts it. A text task (`"kind": "text"`: prompt and reference, no tests) is a text pair
  asked as bench asks it: the prompt as the user's turn for a chat model, as it is for a base model; its
  reference is the completion. The same file then measures the adapter: `codeforge bench jsonl:PATH --metrics`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..i18n import _
from ..store import Store, db_path
from ..tasks import JSONL_PREFIX, DatasetError, load_stored, load_tasks
from ..tasks.base import Task
from ..vocabulary import Workflow

RUN_PREFIX = "run:"
GO_UNITTEST = "go-unittest"  # the dataset, or go-unittest:FOLDER for the functions of a Go package
# MBPP's own split (Austin et al. 2021): tasks 11-510 are the test split, a benchmark; the rest is training data.
MBPP_TEST = range(11, 511)


class SourceError(ValueError):
    """A source that cannot be read: the message says what to do."""


@dataclass(frozen=True)
class Program:
    task: Task
    code: str  # a whole program that passes the task's tests
    source: str


@dataclass(frozen=True)
class Pair:
    prompt: str  # plain text, or "" when `messages` holds a chat
    completion: str
    source: str
    messages: tuple = ()  # chat: the turns before the answer; the answer is `completion`
    line: int = 0
    asked: bool = False  # a text task's: `prompt` is the user's turn for a chat model (as bench asks it)
    task_id: str = ""


@dataclass(frozen=True)
class Loaded:
    programs: list[Program]
    pairs: list[Pair]
    hashes: dict[str, str]  # source -> sha256 of what was read, for the manifest


def load(names, *, limit: Optional[int] = None, db: Optional[Path] = None) -> Loaded:
    from ..tasks import HUB_PREFIX

    programs: list[Program] = []
    pairs: list[Pair] = []
    hashes: dict[str, str] = {}
    for name in names:
        if name == "mbpp":
            got = [Program(t, t.reference, name) for t in load_tasks("mbpp") if _mbpp_number(t) not in MBPP_TEST]
            hashes[name] = _hash_programs(got)
        elif name.startswith(JSONL_PREFIX):
            got, more, hashes[name] = _jsonl(Path(name[len(JSONL_PREFIX):]), name)
            pairs.extend(more[:limit] if limit else more)
        elif name == GO_UNITTEST or name.startswith(GO_UNITTEST + ":"):
            folder = name[len(GO_UNITTEST) + 1:] or None
            try:  # HumanEval-X's Go functions (their tests are the references), or a Go package's functions
                got = [Program(t, t.reference, name) for t in load_tasks(GO_UNITTEST, dataset_path=folder)]
            except DatasetError as exc:
                raise SourceError(str(exc)) from None
            hashes[name] = _hash_programs(got)
        elif name.startswith(RUN_PREFIX):
            got = passing_samples(name[len(RUN_PREFIX):], db)
            hashes[name] = _hash_programs(got)
        elif name.startswith(HUB_PREFIX):
            try:  # only the rows `limit` needs are read (KodCode-V1 has ~480k)
                tasks = load_tasks(name, limit=limit)
            except DatasetError as exc:
                raise SourceError(str(exc)) from None
            missing = [t.task_id for t in tasks if not t.reference.strip() and t.answer != "test"]
            if missing:
                raise SourceError(_("{name}: task {task} has no solution to train on: give its row `reference` "
                                    "(the whole program), `canonical_solution` (what follows the prompt) or, as "
                                    "KodCode's rows do, `solution`").format(name=name, task=missing[0]))
            got = [Program(t, t.reference, name) for t in tasks]
            hashes[name] = _hash_programs(got)
        else:
            raise SourceError(_("unknown training data {name}: use mbpp, go-unittest[:FOLDER], jsonl:PATH, "
                                "hub:OWNER/NAME or run:NAME").format(name=repr(name)))
        programs.extend(got[:limit] if limit else got)
    return Loaded(programs, pairs, hashes)


def _mbpp_number(task: Task) -> int:
    return int(task.task_id.rsplit("/", 1)[-1])


def _hash_programs(programs: list[Program]) -> str:
    digest = hashlib.sha256()
    for p in programs:
        digest.update(json.dumps([p.task.task_id, p.task.prompt, p.code]).encode())
    return digest.hexdigest()


def _jsonl(path: Path, source: str) -> tuple[list[Program], list[Pair], str]:
    if not path.is_file():
        raise SourceError(_("{path}: no such file (jsonl:PATH names a JSON-lines file)").format(path=path))
    raw = path.read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    lines = [(i, line) for i, line in enumerate(raw.decode("utf-8", errors="replace").splitlines(), 1)
             if line.strip()]
    if not lines:
        raise SourceError(_("{path}: the file is empty").format(path=path))
    try:
        first = json.loads(lines[0][1])
    except json.JSONDecodeError as exc:
        raise SourceError(_("{where}: not JSON ({error})").format(where=f"{path}:{lines[0][0]}", error=exc.msg)) \
            from None
    if isinstance(first, dict) and ("completion" in first or "messages" in first):
        return [], [_pair(path, i, line, source) for i, line in lines], sha
    try:
        tasks = load_tasks(f"{JSONL_PREFIX}{path}")
    except DatasetError as exc:
        raise SourceError(_("{error} (a training jsonl holds tasks as bench reads them, or rows with prompt and "
                            "completion, or rows with messages)").format(error=exc)) from None
    # a Go unit-test task may come without a reference test: grpo needs none, sft refuses it (sft.prepare)
    missing = [t.task_id for t in tasks if not t.reference.strip() and t.answer != "test"]
    if missing:
        raise SourceError(_("{path}: task {task} has no solution to train on: give it `reference` (the "
                            "whole program) or `canonical_solution` (what follows the prompt)").format(
            path=path, task=missing[0]))
    texts = [Pair(t.prompt, t.reference, source, line=number, asked=True, task_id=t.task_id)
             for number, t in enumerate(tasks, 1) if t.answer == "text"]
    return [Program(t, t.reference, source) for t in tasks if t.answer != "text"], texts, sha


def _pair(path: Path, number: int, line: str, source: str) -> Pair:
    where = f"{path}:{number}"
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise SourceError(_("{where}: not JSON ({error})").format(where=where, error=exc.msg)) from None
    if not isinstance(row, dict):
        raise SourceError(_("{where}: expected an object with prompt and completion, or with messages").format(
            where=where))
    if "messages" in row:
        turns = row["messages"]
        if (not isinstance(turns, list) or len(turns) < 2 or not all(
                isinstance(t, dict) and isinstance(t.get("role"), str) and isinstance(t.get("content"), str)
                for t in turns)):
            raise SourceError(_("{where}: messages must be a list of at least two {turn} turns").format(
                where=where, turn='{"role", "content"}'))
        if turns[-1]["role"] != "assistant":
            raise SourceError(_("{where}: the last message must be the assistant's answer (what is trained on)")
                              .format(where=where))
        return Pair("", turns[-1]["content"], source, tuple(turns[:-1]), number)
    prompt, completion = row.get("prompt"), row.get("completion")
    if not isinstance(prompt, str) or not isinstance(completion, str) or not completion.strip():
        raise SourceError(_("{where}: needs text fields prompt and completion (or messages)").format(where=where))
    return Pair(prompt, completion, source, (), number)


def _open_store(db: Optional[Path]) -> Store:
    path = db_path(db)
    if not path.is_file():
        raise SourceError(_("no results store at {path}: run `codeforge bench` first, or pass --db").format(
            path=path))
    return Store.open(path, create=False)


def _run_tasks(store: Store, name: str):
    run = store.run(name)
    if run is None:
        known = ", ".join(sorted({r.name for r in store.runs()})) or _("none")
        raise SourceError(_("no stored run named {name} (stored: {known}); see `codeforge bench list`").format(
            name=repr(name), known=known))
    if run.workflow is not Workflow.bench:
        # its rounds are epochs of analyser findings, and a sample that passed is not a program that is clean
        bench = ", ".join(sorted({r.name for r in store.runs() if r.workflow is Workflow.bench})) or _("none")
        raise SourceError(_("run {name} is a {workflow} run: run:NAME takes bench runs only (bench runs: "
                            "{bench}); see `codeforge bench list`").format(
            name=repr(name), workflow=run.workflow.value, bench=bench))
    try:  # a task the dataset no longer holds: its samples are left out
        tasks = load_stored(run.dataset, store.task_ids(run.id), dataset_path=run.config.get("dataset_path"),
                            from_hub=bool(run.config.get("from_hub")),
                            max_prompt_tokens=run.config.get("max_prompt_tokens"))
    except DatasetError as exc:
        raise SourceError(_("run {name} was made on {dataset}, which cannot be read now: {error}").format(
            name=repr(name), dataset=run.dataset, error=exc)) from None
    return run, {t.task_id: t for t in tasks}


def passing_samples(name: str, db: Optional[Path] = None) -> list[Program]:
    """Every passing sample of a stored run, one per task and distinct program (rejection-sampling data)."""
    with _open_store(db) as store:
        run, by_id = _run_tasks(store, name)
        seen, programs = set(), []
        for s in store.samples(run.id):
            if s.passed and s.code and s.task_id in by_id and (s.task_id, s.code) not in seen:
                seen.add((s.task_id, s.code))
                programs.append(Program(by_id[s.task_id], s.code, f"{RUN_PREFIX}{name}"))
    return programs


@dataclass(frozen=True)
class Repair:
    """A failed program, what was said about it, and the program that fixed it."""

    task: Task
    failed: str
    feedback: str
    fixed: str
    source: str


def repairs_from_run(name: str, db: Optional[Path] = None) -> list[Repair]:
    """Samples of a stored chain run that failed in one round and passed in the next, with the feedback bench
    showed between the two."""
    found = []
    with _open_store(db) as store:
        run, by_id = _run_tasks(store, name)
        rounds = {(s.task_id, s.sample, s.round): s for s in store.samples(run.id)}
        for (task_id, sample, round), s in sorted(rounds.items()):
            after = rounds.get((task_id, sample, round + 1))
            if (task_id in by_id and s.code and not s.passed and after is not None and after.passed
                    and after.code and after.feedback):
                found.append(Repair(by_id[task_id], s.code, after.feedback, after.code, f"{RUN_PREFIX}{name}"))
    return found
