"""The results store: one SQLite file holding every run, every sample of every round, every execution.

Tables (the report reads nothing else):
- runs: one per (name, dataset). `name` is the method label in reports ("BASE", "PDG_CHAIN"); `config` is
  the full configuration as JSON (model, backend, adapter, prompt mode, sampling, chain, feedback source,
  sandbox limits), `versions` the library versions, both JSON.
- run_tasks: the tasks a run covers, in dataset order (the denominator of every score).
- samples: one row per (task, sample index, round): the prompt as sent, the raw output, the extracted code
  (NULL: the answer held no code), generation counts, and the feedback this round was given (NULL in
  round 0) with its source.
- finetunes: one per adapter trained by `codeforge finetune` (its name, folder, base model, settings) and,
  once trained, its manifest (what it was trained from, row and contamination counts, the outcome), JSON.
- similarity: a similarity metric of a sample's answer against the task's reference (`codeforge bench
  --metrics`): the metric's name, its value (0..1; NULL: the metric does not apply, as for a task without a
  reference) and its signature (package, version, settings; a value computed
  otherwise is replaced, never averaged with it). Stored on the sample's final round.
- executions: what the sandbox said about a sample. `purpose` is "tests" (the benchmark's own tests: the
  score) or "visible" (the examples the prompt shows: feedback only). `status` is a sandbox status or
  "no_code"; `result` the sandbox Result as JSON.

Repair runs (`config["workflow"] == "repair"`; every other run is a bench run) use the same tables, with an
epoch where a bench run has a round and a program (task, sample; for files: the path, sample 0) per sample:
- round 0 holds the starting code (prompt "", raw output = code); round e >= 1 the patch the model wrote in
  epoch e (its prompt, raw output, extracted code or NULL), `feedback` the findings it was shown
  (`feedback_source` "findings").
- executions: "tests" as for a bench sample (only for programs with a task), and "analysis": `status`
  "passed" (no findings), "failed" or "no_code", `passed` = no findings, `result` = {"findings": [Finding
  as a dict, ...], "kept": bool, "reason": None or one of "no_code", "fails_tests", "not_fewer_findings"}.
  Round 0 is always kept. The program's code after epoch e is the last kept round <= e.

Every write commits at once, in WAL mode: a process killed at any moment (kill -9 included) loses at most the
sample it was writing, and a re-run finds everything else. Nothing here imports the sandbox or a model.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, NamedTuple, Optional, Sequence

from ..i18n import N_, _
from ..vocabulary import Purpose, SampleStatus, Workflow

SCHEMA_VERSION = 1
NO_CODE = SampleStatus.no_code.value  # the status of an answer that held no code to run

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    dataset TEXT NOT NULL,
    model TEXT NOT NULL,
    backend TEXT NOT NULL,
    adapter TEXT,
    prompt_mode TEXT NOT NULL,
    feedback TEXT NOT NULL,
    chain INTEGER NOT NULL,
    samples_per_task INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    config TEXT NOT NULL,
    versions TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    finished_at REAL,
    UNIQUE (name, dataset)
);
CREATE TABLE IF NOT EXISTS run_tasks (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    task_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (run_id, task_id)
);
CREATE TABLE IF NOT EXISTS samples (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    task_id TEXT NOT NULL,
    sample INTEGER NOT NULL,
    round INTEGER NOT NULL,
    prompt TEXT NOT NULL,
    raw_output TEXT NOT NULL,
    code TEXT,
    finish_reason TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    gen_seconds REAL NOT NULL,
    feedback TEXT,
    feedback_source TEXT,
    created_at REAL NOT NULL,
    UNIQUE (run_id, task_id, sample, round)
);
CREATE TABLE IF NOT EXISTS executions (
    sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    status TEXT NOT NULL,
    passed INTEGER NOT NULL,
    duration_s REAL NOT NULL,
    result TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (sample_id, purpose)
);
CREATE TABLE IF NOT EXISTS similarity (
    sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
    metric TEXT NOT NULL,
    value REAL,
    signature TEXT NOT NULL,
    PRIMARY KEY (sample_id, metric)
);
CREATE TABLE IF NOT EXISTS finetunes (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    out TEXT NOT NULL,
    base_model TEXT NOT NULL,
    settings TEXT NOT NULL,
    manifest TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    finished_at REAL
);
"""


_RUN_COLUMNS = ("id, name, dataset, model, backend, adapter, prompt_mode, feedback, chain, samples_per_task, seed,"
                " config, versions, created_at, updated_at, finished_at")
# The orders runs_page can sort by (a closed set: the value goes into the SQL).
# pass@1 after a run's last round, as bench/scores.py computes it: a sample passed once any of its rounds passed,
# over every sample the run's tasks should have (one not generated yet counts as failed); none for a run of text
# tasks (no verdicts)
_PASS_AT_1 = ("(SELECT CASE WHEN json_extract(runs.config, '$.answers') = 'text' THEN NULL ELSE"
              " CAST(COALESCE(SUM(passed), 0) AS REAL) / MAX(1, runs.samples_per_task *"
              " (SELECT COUNT(*) FROM run_tasks t WHERE t.run_id = runs.id)) END"
              " FROM (SELECT MAX(COALESCE(e.passed, 0)) AS passed FROM samples s LEFT JOIN executions e"
              f" ON e.sample_id = s.id AND e.purpose = '{Purpose.tests.value}' WHERE s.run_id = runs.id"
              " GROUP BY s.task_id, s.sample))")
RUN_SORTS = {"created": "created_at", "name": "name", "dataset": "dataset", "model": "model", "pass@1": _PASS_AT_1}


def _run_record(row: Sequence[Any]) -> "RunRecord":
    return RunRecord(*row[:11], json.loads(row[11]), json.loads(row[12]), *row[13:])


NOT_A_STORE = N_("{path} is not a codeforge results store ({error}); pass another --db")


class StoreError(Exception):
    """The store cannot be read or written; the message says what to do, and what is stored is kept."""


@dataclass(frozen=True)
class RunRecord:
    id: int
    name: str
    dataset: str
    model: str
    backend: str
    adapter: Optional[str]
    prompt_mode: str
    feedback: str
    chain: int
    samples_per_task: int
    seed: int
    config: dict
    versions: dict
    created_at: float
    updated_at: float
    finished_at: Optional[float]

    @property
    def workflow(self) -> Workflow:
        """What made the run (runs stored before repair existed are bench runs)."""
        return Workflow(self.config.get("workflow", Workflow.bench.value))

    @property
    def curriculum(self) -> Optional[dict]:
        """For a bench run of one round of `codeforge finetune --curriculum`: {"name", "round" (from 1), "rounds",
        "new", "revisited" (task ids), "finetune" (the round's training run), "adapter"}; else None."""
        found = self.config.get("curriculum")
        return found if isinstance(found, dict) else None

    @property
    def mined_from(self) -> Optional[dict]:
        """For a bench run over tasks `codeforge bench mine-hard` wrote: {"provenance": its file's name, "runs":
        [{"name", "model", "adapter"}, ...]} (the runs the tasks were mined from); else None."""
        found = self.config.get("mined_from")
        return found if isinstance(found, dict) and isinstance(found.get("runs"), list) else None

    @property
    def text_answers(self) -> bool:
        """A bench run of text tasks (prose answers scored by similarity metrics only: no tests, no pass@k)."""
        return self.config.get("answers") == "text"

    @property
    def own_failures(self) -> bool:
        """A run over a mined set whose model (with its adapter) is one of the models the set was mined from:
        scored on tasks chosen because that model failed them."""
        source = self.mined_from
        return source is not None and any(isinstance(r, dict) and r.get("model") == self.model
                                          and r.get("adapter") == self.adapter for r in source["runs"])

    @property
    def oracle_feedback(self) -> bool:
        """Feedback built from the benchmark's own tests (bench `--feedback hidden`; a repair run whose analyzers
        include the tests, whose failures the model is shown): marked in every table and export."""
        if self.workflow is Workflow.repair:
            return self.chain > 0 and "tests" in (self.config.get("analyzers") or [])
        return self.chain > 0 and self.feedback == "hidden"


@dataclass(frozen=True)
class Execution:
    purpose: str
    status: str
    passed: bool
    duration_s: float
    result: dict


@dataclass(frozen=True)
class Similarity:
    value: Optional[float]  # None: the metric does not apply to the sample (no reference, or prose for CodeBLEU)
    signature: str


@dataclass(frozen=True)
class SampleRecord:
    id: int
    task_id: str
    sample: int
    round: int
    prompt: str
    raw_output: str
    code: Optional[str]
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    gen_seconds: float
    feedback: Optional[str]
    feedback_source: Optional[str]
    executions: dict  # purpose -> Execution
    similarity: dict = field(default_factory=dict)  # metric name -> Similarity

    @property
    def tested(self) -> Optional[Execution]:
        return self.executions.get(Purpose.tests.value)

    @property
    def passed(self) -> bool:
        return self.tested is not None and self.tested.passed


class Verdict(NamedTuple):
    """A sample as pass@k sees it (bench.scores takes these where it takes a SampleRecord's same fields)."""

    id: int
    task_id: str
    sample: int
    round: int
    passed: bool  # the benchmark's tests passed (False: failed, or not checked yet)


@dataclass(frozen=True)
class FinetuneRecord:
    id: int
    name: str
    out: str
    base_model: str
    settings: dict
    manifest: Optional[dict]  # None until training finished
    created_at: float
    updated_at: float
    finished_at: Optional[float]


def _disk_message(exc: sqlite3.Error, path: Path) -> str:
    text = str(exc)
    if "full" in text.lower():
        return _("the disk holding {path} is full ({error}). Free some space and run the same command again: "
                 "it resumes, and everything stored so far is kept.").format(path=path, error=text)
    if "locked" in text.lower():
        return _("{path} is locked by another process ({error}); wait for it to finish or use another --db.").format(
            path=path, error=text)
    return _("cannot write {path}: {error}. Everything stored before this is kept.").format(path=path, error=text)


class Store:
    """`with Store.open(path) as store: ...` A store is used from one thread."""

    def __init__(self, connection: sqlite3.Connection, path: Path):
        self._db = connection
        self.path = path
        self._similarity: Optional[bool] = None  # whether the similarity table exists, once asked

    @classmethod
    def open(cls, path: Path, create: bool = True) -> "Store":
        path = Path(path)
        if not path.exists() and not create:
            raise StoreError(_("no results store at {path}: run `codeforge bench ...` first, or pass --db")
                             .format(path=path))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(str(path), timeout=30, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a killed process loses nothing
            connection.execute("PRAGMA foreign_keys=ON")
            connection.executescript(_SCHEMA)
            found = connection.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            if found is None:
                connection.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            elif int(found[0]) > SCHEMA_VERSION:
                raise StoreError(_("{path} was written by a newer codeforge (schema {schema}); upgrade codeforge")
                                 .format(path=path, schema=found[0]))
        except sqlite3.DatabaseError as exc:
            raise StoreError(_(NOT_A_STORE).format(path=path, error=exc)) from exc
        except OSError as exc:
            raise StoreError(_("cannot open {path}: {error}").format(path=path, error=exc)) from exc
        return cls(connection, path)

    @classmethod
    def open_read_only(cls, path: Path) -> "Store":
        """A store to read and never write (codeforge serve): nothing is created, not even its tables, and a file
        that is not a results store of this schema version is refused."""
        path = Path(path)
        if not path.is_file():
            raise StoreError(_("no results store at {path}: run `codeforge bench ...` first, or pass --db")
                             .format(path=path))
        try:
            connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30,
                                         isolation_level=None)
            found = connection.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise StoreError(_(NOT_A_STORE).format(path=path, error=exc)) from exc
        if found is None:
            connection.close()
            raise StoreError(_("{path} is not a codeforge results store (it has no schema version); pass another "
                               "--db").format(path=path))
        if found[0] != str(SCHEMA_VERSION):
            connection.close()
            raise StoreError(_("{path} is a results store of schema {found}, and this codeforge reads schema "
                               "{schema}: open it with the codeforge that wrote it").format(
                path=path, found=found[0], schema=SCHEMA_VERSION))
        return cls(connection, path)

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def _write(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, params)
        except sqlite3.IntegrityError:
            raise
        except sqlite3.Error as exc:
            raise StoreError(_disk_message(exc, self.path)) from exc

    # runs -----------------------------------------------------------------------------------------------

    def create_run(self, name: str, dataset: str, *, model: str, backend: str, adapter: Optional[str],
                   prompt_mode: str, feedback: str, chain: int, samples_per_task: int, seed: int,
                   config: dict, versions: dict) -> RunRecord:
        now = time.time()
        try:
            self._write(
                "INSERT INTO runs (name, dataset, model, backend, adapter, prompt_mode, feedback, chain,"
                " samples_per_task, seed, config, versions, created_at, updated_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (name, dataset, model, backend, adapter, prompt_mode, feedback, chain, samples_per_task, seed,
                 json.dumps(config, sort_keys=True), json.dumps(versions, sort_keys=True), now, now))
        except sqlite3.IntegrityError as exc:
            raise StoreError(_("a run named {name} on {dataset} already exists").format(
                name=repr(name), dataset=dataset)) from exc
        return self.run(name, dataset)

    def update_run(self, run_id: int, *, chain: int, config: dict, versions: dict) -> None:
        self._write("UPDATE runs SET chain=?, config=?, versions=?, updated_at=?, finished_at=NULL WHERE id=?",
                    (chain, json.dumps(config, sort_keys=True), json.dumps(versions, sort_keys=True), time.time(),
                     run_id))

    def finish_run(self, run_id: int) -> None:
        now = time.time()
        self._write("UPDATE runs SET finished_at=?, updated_at=? WHERE id=?", (now, now, run_id))

    def delete_run(self, run_id: int) -> None:
        self._write("DELETE FROM runs WHERE id=?", (run_id,))

    def run(self, name: str, dataset: Optional[str] = None) -> Optional[RunRecord]:
        """The run called `name` (on `dataset`, needed only when the name is used on several datasets)."""
        rows = [r for r in self.runs() if r.name == name and (dataset is None or r.dataset == dataset)]
        if len(rows) > 1:
            datasets = ", ".join(r.dataset for r in rows)
            raise StoreError(_("run {name} exists on several datasets ({datasets}): pass --dataset").format(
                name=repr(name), datasets=datasets))
        return rows[0] if rows else None

    def runs(self) -> list[RunRecord]:
        rows = self._db.execute(f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY created_at, id").fetchall()
        return [_run_record(row) for row in rows]

    def run_by_id(self, run_id: int) -> Optional[RunRecord]:
        row = self._db.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id=?", (run_id,)).fetchone()
        return _run_record(row) if row else None

    def runs_page(self, *, text: str = "", workflow: Optional[Workflow] = None, sort: str = "created",
                  descending: bool = False, limit: int = 50, offset: int = 0) -> tuple[list[RunRecord], int]:
        """One page of runs and how many match: `text` found in the name, dataset, model or adapter; `workflow`
        what made them; sorted by one of RUN_SORTS (ties by id). Only the page's rows are read."""
        where, params = [], []
        if text:
            where.append("(instr(lower(name), ?) OR instr(lower(dataset), ?) OR instr(lower(model), ?)"
                         " OR instr(lower(COALESCE(adapter, '')), ?))")
            params += [text.lower()] * 4
        if workflow is not None:
            where.append("COALESCE(json_extract(config, '$.workflow'), ?) = ?")
            params += [Workflow.bench.value, workflow.value]
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        total = self._db.execute(f"SELECT COUNT(*) FROM runs{clause}", params).fetchone()[0]
        way = "DESC" if descending else "ASC"
        order = f"{RUN_SORTS[sort]} IS NULL, {RUN_SORTS[sort]} {way}, id {way}"  # runs without a value last
        rows = self._db.execute(f"SELECT {_RUN_COLUMNS} FROM runs{clause} ORDER BY {order} LIMIT ? OFFSET ?",
                                [*params, limit, offset]).fetchall()
        return [_run_record(row) for row in rows], total

    # fine-tuning runs ----------------------------------------------------------------------------------

    def start_finetune(self, name: str, out: str, base_model: str, settings: dict) -> FinetuneRecord:
        """Record a training run (again: a resumed one keeps its row and gets the new settings)."""
        now = time.time()
        self._write("INSERT INTO finetunes (name, out, base_model, settings, created_at, updated_at)"
                    " VALUES (?,?,?,?,?,?) ON CONFLICT(name) DO UPDATE SET out=excluded.out,"
                    " base_model=excluded.base_model, settings=excluded.settings, updated_at=excluded.updated_at,"
                    " finished_at=NULL", (name, out, base_model, json.dumps(settings, sort_keys=True), now, now))
        return self.finetune(name)

    def finish_finetune(self, name: str, manifest: dict) -> None:
        now = time.time()
        self._write("UPDATE finetunes SET manifest=?, finished_at=?, updated_at=? WHERE name=?",
                    (json.dumps(manifest, sort_keys=True), now, now, name))

    def finetunes(self) -> list[FinetuneRecord]:
        rows = self._db.execute("SELECT id, name, out, base_model, settings, manifest, created_at, updated_at,"
                                " finished_at FROM finetunes ORDER BY created_at, id").fetchall()
        return [FinetuneRecord(r[0], r[1], r[2], r[3], json.loads(r[4]), json.loads(r[5]) if r[5] else None,
                               *r[6:]) for r in rows]

    def finetune(self, name: str) -> Optional[FinetuneRecord]:
        return next((f for f in self.finetunes() if f.name == name), None)

    def set_tasks(self, run_id: int, task_ids: Sequence[str]) -> None:
        """Record the run's tasks; tasks already recorded keep their place, new ones are added after."""
        with self._transaction():
            known = {t for (t,) in self._db.execute("SELECT task_id FROM run_tasks WHERE run_id=?", (run_id,))}
            start = self._db.execute("SELECT COALESCE(MAX(position)+1, 0) FROM run_tasks WHERE run_id=?",
                                     (run_id,)).fetchone()[0]
            new = [t for t in task_ids if t not in known]
            self._db.executemany("INSERT INTO run_tasks VALUES (?,?,?)",
                                 [(run_id, t, start + i) for i, t in enumerate(new)])

    def task_ids(self, run_id: int) -> list[str]:
        return [t for (t,) in self._db.execute(
            "SELECT task_id FROM run_tasks WHERE run_id=? ORDER BY position", (run_id,))]

    # samples ---------------------------------------------------------------------------------------------

    def add_sample(self, run_id: int, task_id: str, sample: int, round: int, *, prompt: str, raw_output: str,
                   code: Optional[str], finish_reason: str, prompt_tokens: int, completion_tokens: int,
                   gen_seconds: float, feedback: Optional[str] = None,
                   feedback_source: Optional[str] = None) -> int:
        cursor = self._write(
            "INSERT INTO samples (run_id, task_id, sample, round, prompt, raw_output, code, finish_reason,"
            " prompt_tokens, completion_tokens, gen_seconds, feedback, feedback_source, created_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (run_id, task_id, sample, round, prompt, raw_output, code, finish_reason, prompt_tokens,
             completion_tokens, gen_seconds, feedback, feedback_source, time.time()))
        return int(cursor.lastrowid)

    def add_execution(self, sample_id: int, purpose: str, status: str, passed: bool, duration_s: float,
                      result: dict) -> None:
        self._write("INSERT OR REPLACE INTO executions VALUES (?,?,?,?,?,?,?)",
                    (sample_id, Purpose(purpose).value, SampleStatus(status).value, int(passed), duration_s, json.dumps(result), time.time()))

    def add_similarity(self, sample_id: int, metric: str, value: Optional[float], signature: str) -> None:
        self._write("INSERT OR REPLACE INTO similarity VALUES (?,?,?,?)", (sample_id, metric, value, signature))

    def samples(self, run_id: int, task_id: Optional[str] = None, texts: bool = True) -> list[SampleRecord]:
        """Every sample of the run (of one task), by task position, sample index, round. `texts=False` reads what
        scoring needs and leaves the texts out: prompt and raw output "", code and feedback None, and each
        result without its stdout and stderr; much faster on large runs."""
        where, params = "s.run_id=?", [run_id]
        if task_id is not None:
            where += " AND s.task_id=?"
            params.append(task_id)
        text_columns = "s.prompt, s.raw_output, s.code" if texts else "'', '', NULL"
        feedback_columns = "s.feedback, s.feedback_source" if texts else "NULL, NULL"
        rows = self._db.execute(
            f"SELECT s.id, s.task_id, s.sample, s.round, {text_columns}, s.finish_reason,"
            f" s.prompt_tokens, s.completion_tokens, s.gen_seconds, {feedback_columns}"
            " FROM samples s LEFT JOIN run_tasks t ON t.run_id=s.run_id AND t.task_id=s.task_id"
            f" WHERE {where} ORDER BY t.position, s.sample, s.round", params).fetchall()
        result_column = "e.result" if texts else "json_remove(e.result, '$.stdout', '$.stderr')"
        executions: dict[int, dict] = {}
        for sample_id, purpose, status, passed, duration, result in self._db.execute(
                f"SELECT e.sample_id, e.purpose, e.status, e.passed, e.duration_s, {result_column} FROM executions e"
                " JOIN samples s ON s.id=e.sample_id WHERE " + where, params):
            executions.setdefault(sample_id, {})[purpose] = Execution(purpose, status, bool(passed), duration,
                                                                      json.loads(result))
        similarity: dict[int, dict] = {}
        for sample_id, metric, value, signature in self._db.execute(
                "SELECT m.sample_id, m.metric, m.value, m.signature FROM similarity m"
                " JOIN samples s ON s.id=m.sample_id WHERE " + where, params) if self._has_similarity() else ():
            similarity.setdefault(sample_id, {})[metric] = Similarity(value, signature)
        return [SampleRecord(*row, executions=executions.get(row[0], {}), similarity=similarity.get(row[0], {}))
                for row in rows]

    def _has_similarity(self) -> bool:
        """Whether the store has the similarity table: one opened read-only that an earlier codeforge wrote has
        not (a writable store is given it when opened)."""
        if self._similarity is None:
            self._similarity = self._db.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='similarity'").fetchone() is not None
        return self._similarity

    def verdicts(self, run_id: int) -> list[Verdict]:
        """Every sample of the run with only its tests' verdict, in one query: for lists of many runs."""
        return [Verdict(i, t, n, r, bool(p)) for i, t, n, r, p in self._db.execute(
            "SELECT s.id, s.task_id, s.sample, s.round, COALESCE(e.passed, 0) FROM samples s LEFT JOIN executions e"
            " ON e.sample_id=s.id AND e.purpose=? WHERE s.run_id=?", (Purpose.tests.value, run_id))]

    def iter_runs_samples(self) -> Iterator[tuple[RunRecord, list[SampleRecord]]]:
        for run in self.runs():
            yield run, self.samples(run.id)

    def _transaction(self):
        store = self

        class _Tx:
            def __enter__(self):
                store._write("BEGIN IMMEDIATE")

            def __exit__(self, exc_type, *rest):
                store._write("ROLLBACK" if exc_type else "COMMIT")

        return _Tx()
