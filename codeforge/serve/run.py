"""A run's page: its rounds (pass@k with intervals, as `bench show` gives them), its tasks a page at a time, and
the report's heatmap of the methods on its dataset, every cell a link to that task of that run."""

from __future__ import annotations

import math

from fastapi import APIRouter, Depends, Request

from ..bench.scores import INTERVAL_LABEL, run_ks, run_metrics, summarize, task_rows
from ..metrics import Metric
from ..report.charts import heatmap_order, label
from ..report.data import ReportError, select_methods
from ..store import RunRecord, Store
from .pages import Gone, render, store_of
from .runs import run_row

router = APIRouter()


def run_or_gone(store: Store, run_id: int) -> RunRecord:
    run = store.run_by_id(run_id)
    if run is None:
        raise Gone(run_id)
    return run


@router.get("/runs/{run_id}")
def run_page(request: Request, run_id: int, store: Store = Depends(store_of)):
    run = run_or_gone(store, run_id)
    samples = store.samples(run.id, texts=False)
    task_ids = store.task_ids(run.id)
    last = max([run.chain, *(s.round for s in samples)])
    ks = sorted({1, *run_ks(run)})
    rounds = [summarize(samples, task_ids, run.samples_per_task, r, ks, tested=not run.text_answers)
              for r in range(last + 1)]
    shown_ks = sorted({k for r in rounds for k in r.scores})
    return render(request, "run.html", run=run, row=run_row(store, run), rounds=rounds, ks=shown_ks,
                  interval_label=INTERVAL_LABEL, metrics=run_metrics(samples, task_ids),
                  **_tasks(request, store, run, 1, samples))


def _tasks(request: Request, store: Store, run: RunRecord, page: int, samples=None) -> dict:
    rows = task_rows(store, run, samples)
    size = request.app.state.page_size
    pages = max(1, math.ceil(len(rows) / size))
    page = min(max(page, 1), pages)
    return {"tasks": rows[(page - 1) * size:page * size], "task_count": len(rows), "page": page, "pages": pages,
            "rewarded": any(row["reward"] is not None for row in rows), "tested": not run.text_answers,
            "metric_names": [m.value for m in Metric if any(m.value in row["metrics"] for row in rows)]}


@router.get("/runs/{run_id}/tasks")
def tasks_fragment(request: Request, run_id: int, page: int = 1, store: Store = Depends(store_of)):
    run = run_or_gone(store, run_id)
    return render(request, "_tasks_table.html", run=run, **_tasks(request, store, run, page))


@router.get("/runs/{run_id}/heatmap")
def heatmap_fragment(request: Request, run_id: int, store: Store = Depends(store_of)):
    """The report's heatmap for the run's dataset (finished and unfinished bench runs, on the tasks all cover)."""
    run = run_or_gone(store, run_id)
    try:
        methods = select_methods(store, dataset=run.dataset, include_unfinished=True).methods
    except ReportError as exc:
        return render(request, "_heatmap.html", run=run, problem=str(exc), methods=[], cells=[])
    tasks, rows = heatmap_order(methods)
    cells = [(task, [(m, value) for m, value in zip(methods, row)]) for task, row in zip(tasks, rows)]
    return render(request, "_heatmap.html", run=run, problem=None, methods=methods, labels=[label(m) for m in methods],
                  cells=cells)
