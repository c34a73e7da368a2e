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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence

from ..i18n import _
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

    @property
    def tested(self) -> Optional[Execution]:
        return self.executions.get(Purpose.tests.value)

    @property
    def passed(self) -> bool:
        return self.tested is not None and self.tested.passed


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
        return (f"the disk holding {path} is full ({text}). Free some space and run the same command again: "
                "it resumes, and everything stored so far is kept.")
    if "locked" in text.lower():
        return f"{path} is locked by another process ({text}); wait for it to finish or use another --db."
    return f"cannot write {path}: {text}. Everything stored before this is kept."


class Store:
    """`with Store.open(path) as store: ...` A store is used from one thread."""

    def __init__(self, connection: sqlite3.Connection, path: Path):
        self._db = connection
        self.path = path

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
                raise StoreError(f"{path} was written by a newer codeforge (schema {found[0]}); upgrade codeforge")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path} is not a codeforge results store ({exc}); pass another --db") from exc
        except OSError as exc:
            raise StoreError(f"cannot open {path}: {exc}") from exc
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
            raise StoreError(f"a run named {name!r} on {dataset} already exists") from exc
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
            raise StoreError(f"run {name!r} exists on several datasets ({datasets}): pass --dataset")
        return rows[0] if rows else None

    def runs(self) -> list[RunRecord]:
        rows = self._db.execute("SELECT id, name, dataset, model, backend, adapter, prompt_mode, feedback, chain,"
                                " samples_per_task, seed, config, versions, created_at, updated_at, finished_at"
                                " FROM runs ORDER BY created_at, id").fetchall()
        return [RunRecord(*row[:11], json.loads(row[11]), json.loads(row[12]), *row[13:]) for row in rows]

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

    def samples(self, run_id: int, task_id: Optional[str] = None) -> list[SampleRecord]:
        """Every sample of the run (of one task), by task position, sample index, round."""
        where, params = "s.run_id=?", [run_id]
        if task_id is not None:
            where += " AND s.task_id=?"
            params.append(task_id)
        rows = self._db.execute(
            "SELECT s.id, s.task_id, s.sample, s.round, s.prompt, s.raw_output, s.code, s.finish_reason,"
            " s.prompt_tokens, s.completion_tokens, s.gen_seconds, s.feedback, s.feedback_source"
            " FROM samples s LEFT JOIN run_tasks t ON t.run_id=s.run_id AND t.task_id=s.task_id"
            f" WHERE {where} ORDER BY t.position, s.sample, s.round", params).fetchall()
        executions: dict[int, dict] = {}
        for sample_id, purpose, status, passed, duration, result in self._db.execute(
                "SELECT e.sample_id, e.purpose, e.status, e.passed, e.duration_s, e.result FROM executions e"
                " JOIN samples s ON s.id=e.sample_id WHERE " + where, params):
            executions.setdefault(sample_id, {})[purpose] = Execution(purpose, status, bool(passed), duration,
                                                                      json.loads(result))
        return [SampleRecord(*row, executions=executions.get(row[0], {})) for row in rows]

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
