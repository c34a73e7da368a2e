"""`codeforge bench mine-hard`: the tasks that several stored runs' models fail, written as a jsonl dataset that
bench runs directly, with a provenance file that says how to make it again.

Definitions (the command's help and the README state them too):
- a run *fails* a task when none of its samples of the task passed after the run's final round (a sample counts
  as passed once any of its rounds passed, as scores.py counts it);
- a task's *pass rate* is the share of all the runs' samples of it (every run's samples together) that passed
  after their run's final round.
A task is mined when at least `min_models` of the runs fail it and, when `max_pass_rate` is given, its pass rate
is at most that; with neither given, every run must fail it. Only the tasks every run covers are considered.

Each row carries `mined_from` (the runs, their models, the provenance file's name), so the provenance travels
with the file: a bench run over it records it, and the report says which runs the set was mined from.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

from ..i18n import _, ngettext
from ..store import RunRecord, Store
from ..vocabulary import Workflow
from .scores import first_passing_round

MINED_FROM = "mined_from"  # the extra field of a mined row, and the label a bench run over mined tasks stores


class MineError(Exception):
    """The runs cannot be mined, or mining them gives nothing; the message says what to change."""


@dataclass(frozen=True)
class TaskCounts:
    """One task over the runs: passed samples and samples, per run name."""

    task_id: str
    passed: dict[str, int]
    samples: dict[str, int]

    @property
    def runs_failed(self) -> int:
        return sum(1 for name, c in self.passed.items() if c == 0)

    @property
    def pass_rate(self) -> float:
        total = sum(self.samples.values())
        return sum(self.passed.values()) / total if total else 0.0

    def to_json(self) -> dict:
        return {"task_id": self.task_id, "passed": self.passed, "samples": self.samples,
                "runs_failed": self.runs_failed, "pass_rate": self.pass_rate}


@dataclass
class Mined:
    runs: list[RunRecord]
    min_models: int  # the threshold applied (every run when none was given)
    max_pass_rate: Optional[float]
    considered: list[TaskCounts]  # the tasks every run covers, in the first run's order
    chosen: list[TaskCounts]
    not_shared: list[str] = field(default_factory=list)  # tasks only some of the runs cover: not considered


def pass_counts(store: Store, run: RunRecord) -> dict[str, int]:
    """Per task of the run: its samples that passed after the run's final round."""
    first = first_passing_round(store.samples(run.id))
    counts = {task_id: 0 for task_id in store.task_ids(run.id)}
    for (task_id, sample), round in first.items():
        if round is not None and task_id in counts and sample < run.samples_per_task:
            counts[task_id] += 1
    return counts


def choose(considered: Sequence[TaskCounts], min_models: int, max_pass_rate: Optional[float]) -> list[TaskCounts]:
    """The tasks at least `min_models` runs fail, whose pass rate is at most `max_pass_rate` when given."""
    return [t for t in considered if t.runs_failed >= min_models
            and (max_pass_rate is None or t.pass_rate <= max_pass_rate + 1e-12)]


def find_runs(store: Store, names: Sequence[str], dataset: Optional[str] = None) -> list[RunRecord]:
    """The named bench runs, all on one dataset and finished; a MineError naming what is wrong otherwise."""
    from ..store import StoreError

    if len(set(names)) != len(names):
        raise MineError(_("--runs names a run twice ({runs}): name each run once").format(runs=", ".join(names)))
    runs = []
    for name in names:
        try:
            found = store.run(name, dataset)
        except StoreError as exc:
            raise MineError(str(exc)) from exc
        if found is None:
            known = ", ".join(sorted({r.name for r in store.runs()})) or _("none yet")
            if dataset:
                raise MineError(_("no run named {name} on {dataset} in {path} (runs: {known})").format(
                    name=repr(name), dataset=dataset, path=store.path, known=known))
            raise MineError(_("no run named {name} in {path} (runs: {known})").format(
                name=repr(name), path=store.path, known=known))
        if found.workflow is not Workflow.bench or found.curriculum is not None:
            raise MineError(_("run {name} is not a bench run: mine-hard mines the runs of `codeforge bench`")
                            .format(name=repr(name)))
        if found.text_answers:
            raise MineError(_("run {name} is a run of text tasks: they have no tests, so no task is passed or "
                              "failed; mine runs of tasks with tests").format(name=repr(name)))
        if found.finished_at is None:
            raise MineError(_("run {name} is unfinished (its missing samples would count as failures): finish it "
                              "with `codeforge bench rerun {plain_name}`, or leave it out of --runs")
                            .format(name=repr(name), plain_name=name))
        runs.append(found)
    sources = {_source(run) for run in runs}
    if len(sources) > 1:
        listed = "; ".join(f"{run.name}: {_show_source(_source(run))}" for run in runs)
        raise MineError(_("the runs are on different datasets ({runs}): mine runs of one dataset at a time")
                        .format(runs=listed))
    return runs


def mine(store: Store, names: Sequence[str], dataset: Optional[str] = None, min_models: Optional[int] = None,
         max_pass_rate: Optional[float] = None) -> Mined:
    runs = find_runs(store, names, dataset)
    if min_models is not None and min_models > len(runs):
        raise MineError(ngettext("--min-models {min_models} is more than the {count} run given: at most {count}",
                                 "--min-models {min_models} is more than the {count} runs given: at most {count}",
                                 len(runs)).format(min_models=min_models, count=len(runs)))
    threshold = min_models if min_models is not None else (0 if max_pass_rate is not None else len(runs))
    counts = {run.name: pass_counts(store, run) for run in runs}
    shared = [t for t in counts[runs[0].name] if all(t in c for c in counts.values())]
    covered = {t for c in counts.values() for t in c}
    considered = [TaskCounts(t, {r.name: counts[r.name][t] for r in runs}, {r.name: r.samples_per_task for r in runs})
                  for t in shared]
    mined = Mined(runs, threshold, max_pass_rate, considered, choose(considered, threshold, max_pass_rate),
                  sorted(covered - set(shared)))
    if not mined.chosen:
        raise MineError(empty_message(mined))
    return mined


def empty_message(mined: Mined) -> str:
    """Why nothing was mined, and which threshold to relax to get something."""
    if not mined.considered:
        return _("the runs share no task: mine runs that cover the same tasks")
    most = max(t.runs_failed for t in mined.considered)
    lowest = min(t.pass_rate for t in mined.considered if t.runs_failed >= mined.min_models) \
        if any(t.runs_failed >= mined.min_models for t in mined.considered) else None
    parts = []
    if mined.min_models:
        parts.append(ngettext("at least {min_models} of the {count} run failing it",
                              "at least {min_models} of the {count} runs failing it", len(mined.runs))
                     .format(min_models=mined.min_models, count=len(mined.runs)))
    if mined.max_pass_rate is not None:
        parts.append(_("a pass rate of at most {rate}").format(rate=f"{mined.max_pass_rate:g}"))
    asked = _("{condition} and {other_condition}").format(condition=parts[0], other_condition=parts[1]) \
        if len(parts) == 2 else "".join(parts)
    if most < mined.min_models:
        hint = (ngettext("no task is failed by more than {count} run: relax --min-models to {count}",
                         "no task is failed by more than {count} runs: relax --min-models to {count}", most)
                .format(count=most) if most
                else _("every run passes every task: there is nothing hard to mine in these runs"))
    else:
        hint = _("the lowest pass rate among them is {rate}: relax --max-pass-rate to {rate}").format(
            rate=f"{lowest:.3g}")
    return ngettext("no task of the {count} the runs share has {condition}; {hint}",
                    "no task of the {count} the runs share has {condition}; {hint}", len(mined.considered)
                    ).format(count=len(mined.considered), condition=asked, hint=hint)


def write(store: Store, mined: Mined, out: Path, command: str = "") -> Path:
    """The mined tasks as jsonl rows in `out`, and the provenance file beside it (returned). A task of a dataset
    the rows cannot carry, or a dataset that no longer loads, is a DatasetError."""
    from ..tasks import load_stored
    from ..tasks.jsonl import row_of
    from .runs import stored_settings, versions

    run = mined.runs[0]
    settings = stored_settings(run)
    wanted = [t.task_id for t in mined.chosen]
    tasks = {t.task_id: t for t in load_stored(settings.get("dataset") or run.dataset, wanted,
                                                dataset_path=settings.get("dataset_path"),
                                                from_hub=bool(settings.get("from_hub")))}
    missing = [t for t in wanted if t not in tasks]
    if missing:
        raise MineError(ngettext("{dataset} no longer holds task {tasks} of the runs: mine with the dataset the "
                                 "runs were made on",
                                 "{dataset} no longer holds tasks {tasks} of the runs: mine with the dataset the "
                                 "runs were made on", len(missing)).format(dataset=run.dataset,
                                                                           tasks=", ".join(missing[:5])))
    provenance = provenance_path(out)
    source = {"provenance": provenance.name, "runs": [_run_brief(r) for r in mined.runs]}
    rows = [{**row_of(tasks[t]), MINED_FROM: source} for t in wanted]
    document = {
        "codeforge": versions().get("codeforge"), "versions": versions(),
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": command, "store": str(Path(store.path).resolve()), "dataset": run.dataset,
        "dataset_path": settings.get("dataset_path"), "from_hub": bool(settings.get("from_hub")),
        "thresholds": {"min_models": mined.min_models, "max_pass_rate": mined.max_pass_rate},
        "definitions": {"fail": "a run fails a task when none of its samples of the task passed after the run's "
                                "final round",
                        "pass_rate": "the share of all the runs' samples of the task that passed after their run's "
                                     "final round"},
        "runs": [{**_run_brief(r), "dataset": r.dataset, "backend": r.backend, "prompt_mode": r.prompt_mode,
                  "feedback": r.feedback, "chain": r.chain, "samples": r.samples_per_task, "seed": r.seed,
                  "settings": stored_settings(r)} for r in mined.runs],
        "tasks_considered": len(mined.considered), "tasks_not_in_every_run": mined.not_shared,
        "mined": wanted, "tasks": [t.to_json() for t in mined.considered],
    }
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
        provenance.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
    except OSError as exc:
        raise MineError(_("cannot write {path}: {error}").format(path=out, error=exc)) from exc
    return provenance


def provenance_path(out: Path) -> Path:
    """hard.jsonl -> hard.provenance.json, beside it."""
    name = out.name[:-len(".jsonl")] if out.name.endswith(".jsonl") else out.name
    return out.with_name(f"{name}.provenance.json")


def mined_from(tasks) -> Optional[dict]:
    """What a set of tasks was mined from (the rows' `mined_from`), or None for tasks that were not mined."""
    found = tasks[0].extra.get(MINED_FROM) if tasks else None
    return found if isinstance(found, dict) and isinstance(found.get("runs"), list) else None


def _run_brief(run: RunRecord) -> dict:
    return {"name": run.name, "model": run.model, "adapter": run.adapter}


def _source(run: RunRecord) -> tuple:
    from .runs import stored_settings

    settings = stored_settings(run)
    path = settings.get("dataset_path")
    return run.dataset, str(path) if path else None, bool(settings.get("from_hub"))


def _show_source(source: tuple) -> str:
    dataset, path, hub = source
    shown = dataset
    if path:
        shown = _("{dataset} from {path}").format(dataset=shown, path=path)
    if hub:
        shown = _("{dataset} from the hub").format(dataset=shown)
    return shown
