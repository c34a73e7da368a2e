"""The runs page: every bench run (curriculum rounds marked), every repair run and every fine-tuning run, filtered and sorted in
SQL, a page at a time; only the page's runs are scored."""

from __future__ import annotations

import math
from typing import Optional

from fastapi import APIRouter, Depends, Request

from ..bench.scores import pass_values, run_ks, run_metrics
from ..i18n import N_
from ..models.manifest import Manifest
from ..repair.scores import is_repair, last_epoch, program_keys, summarize_repair
from ..report.data import is_curriculum
from ..report.fmt import MINED_MARK, ORACLE_MARK, adapter
from ..store import FinetuneRecord, RunRecord, Store
from ..store.db import RUN_SORTS
from ..vocabulary import Workflow
from .pages import render, store_of

router = APIRouter()

# how the sort choices read (RUN_SORTS's keys)
SORT_LABELS = {"created": N_("the time it started"), "name": N_("the run's name"), "dataset": N_("the dataset"),
               "model": N_("the model"), "pass@1": N_("pass@1 after the last round")}


def manifest_of(found) -> Optional[Manifest]:
    """A stored manifest (a run's adapter's, a training run's), or None when there is none or it does not read."""
    try:
        return Manifest(**found) if isinstance(found, dict) and found else None
    except TypeError:
        return None


def contaminated(run: RunRecord) -> bool:
    manifest = manifest_of((run.config or {}).get("adapter_manifest"))
    return manifest is not None and manifest.contaminated


def finetune_row(finetune: FinetuneRecord) -> dict:
    """A training run as one row: what its manifest says (once trained), marked when its data was contaminated."""
    manifest = manifest_of(finetune.manifest)
    return {"finetune": finetune, "method": manifest.method if manifest else "", "label": manifest.label() if manifest
            else "", "marks": "☣" if manifest is not None and manifest.contaminated else ""}


def marks(run: RunRecord) -> str:
    """The report's marks: † oracle feedback, ‡ scored on its own failures, ☣ a contaminated adapter."""
    return "".join(mark for mark, on in ((ORACLE_MARK, run.oracle_feedback), (MINED_MARK, run.own_failures),
                                         ("☣", contaminated(run))) if on)


def run_row(store: Store, run: RunRecord) -> dict:
    """A run as one row: its facts and its scores after each round (repair: each epoch's EFR and pass@1)."""
    if is_repair(run):
        samples = store.samples(run.id, texts=False)
        epochs = summarize_repair(samples, program_keys(store, run), last_epoch(run, samples)) if samples else []
        rounds = [(e.epoch, [("EFR", e.efr.value), ("p@1", e.pass_at_1.value if e.pass_at_1 else None)])
                  for e in epochs]
    elif run.text_answers:  # no verdicts: each metric's mean over the run's final answers
        samples = store.samples(run.id, texts=False)
        rounds = [(0, [(m.metric, m.mean.value) for m in run_metrics(samples, store.task_ids(run.id)) if m.samples])]
    else:
        samples = store.verdicts(run.id)
        last = max([run.chain, *(s.round for s in samples)])
        values = pass_values(samples, store.task_ids(run.id), run.samples_per_task, run_ks(run), last)
        rounds = [(r, [(f"p@{k}", v) for k, v in sorted(found.items())]) for r, found in enumerate(values)]
    return {"run": run, "kind": run.workflow.value, "curriculum": run.curriculum if is_curriculum(run) else None,
            "marks": marks(run), "adapter": adapter(run), "rounds": rounds,
            "samples": len(samples), "finished": run.finished_at is not None and bool(samples)}


@router.get("/")
def runs(request: Request, q: str = "", kind: str = "", sort: str = "created", desc: bool = False, page: int = 1,
         store: Store = Depends(store_of)):
    workflow: Optional[Workflow] = Workflow(kind) if kind in {w.value for w in Workflow} else None
    sort = sort if sort in RUN_SORTS else "created"
    size = request.app.state.page_size
    found, total = store.runs_page(text=q.strip(), workflow=workflow, sort=sort, descending=desc, limit=size,
                                   offset=(max(page, 1) - 1) * size)
    pages = max(1, math.ceil(total / size))
    context = dict(rows=[run_row(store, r) for r in found], total=total, page=max(page, 1), pages=pages, q=q,
                   kind=workflow.value if workflow else "", sort=sort, desc=desc, sorts={s: SORT_LABELS.get(s, s) for s in RUN_SORTS},
                   kinds=[w.value for w in Workflow])
    if request.headers.get("hx-request") == "true" and request.headers.get("hx-target") == "runs":
        return render(request, "_runs_table.html", **context)
    return render(request, "runs.html", finetunes=[finetune_row(f) for f in store.finetunes()], db=store.path,
                  **context)
