"""Two runs side by side: their tasks as only A / only B / both / neither and McNemar's test, as the report
computes them (report.data, report.stats), each task a link to both samples next to each other."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from ..report.data import ReportError, method_result
from ..report.stats import compare
from ..store import Store
from .pages import Gone, render, store_of
from .render import diff, language_of
from .run import run_or_gone
from .task import final_code, rounds_of

router = APIRouter()

GROUPS = ("only_a", "only_b", "both", "neither")


@router.get("/compare")
def compare_page(request: Request, a: int = 0, b: int = 0, store: Store = Depends(store_of)):
    runs = store.runs()
    context = {"runs": runs, "a": a, "b": b, "result": None, "groups": {}, "problem": None,
               "no_shared": False}
    if not a or not b:
        return render(request, "compare.html", **context)
    run_a, run_b = run_or_gone(store, a), run_or_gone(store, b)
    shared = [t for t in store.task_ids(run_a.id) if t in set(store.task_ids(run_b.id))]
    if not shared:
        return render(request, "compare.html", **{**context, "run_a": run_a, "run_b": run_b,
                                                  "no_shared": True})
    try:
        first = method_result(store, run_a, shared, store.samples(run_a.id, texts=False))
        second = method_result(store, run_b, shared, store.samples(run_b.id, texts=False))
    except ReportError as exc:
        return render(request, "compare.html", **{**context, "problem": str(exc)})
    solved_a, solved_b = first.solved_by_task(), second.solved_by_task()
    groups = {g: [] for g in GROUPS}
    for t in shared:
        x, y = solved_a[t], solved_b[t]
        groups["both" if x and y else "only_a" if x else "only_b" if y else "neither"].append(t)
    return render(request, "compare.html", **{**context, "run_a": run_a, "run_b": run_b, "groups": groups,
                                              "result": compare(first, second)})


@router.get("/compare/task/{task_id:path}")
def compare_task(request: Request, task_id: str, a: int, b: int, store: Store = Depends(store_of)):
    run_a, run_b = run_or_gone(store, a), run_or_gone(store, b)
    sides = []
    for run in (run_a, run_b):
        if task_id not in store.task_ids(run.id):
            raise Gone(run.name, task_id)
        samples = [s for s in store.samples(run.id, task_id) if s.sample == 0]
        sides.append({"run": run, "samples": rounds_of(samples, language_of(run.dataset)), "code": final_code(samples)})
    return render(request, "compare_task.html", task_id=task_id, sides=sides, a=a, b=b,
                  diff=diff(sides[0]["code"], sides[1]["code"], run_a.name, run_b.name))
