"""One `codeforge report` as a library call: read the store, compute, draw, write report.json (and the page).

Everything the terminal, the charts and the HTML page show comes from one `Report`; report.json holds every
number in it, written with a fixed key order so that the same store gives the same bytes. report.json is data:
its words (scope, definitions, notes) are English in every language; the terminal, the charts and the page say
them in the chosen one.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Optional, Sequence

from ..bench.scores import INTERVAL_TEXT, Score
from ..i18n import _
from ..repair.scores import repair_dict
from ..store import Store, StoreError
from . import charts
from .data import CurriculumResult, MethodResult, RepairResult, ReportError, chain_pairs, select_methods
from .document import DEFINITIONS, Report
from .html import render_html
from .stats import RESAMPLES, SEED, Comparison, compare, compare_all

__all__ = ["DEFINITIONS", "Report", "build_report", "draw", "report_json", "write_report"]


def build_report(db: Path, names: Optional[Sequence[str]] = None, dataset: Optional[str] = None,
                 baseline: Optional[str] = None, pairs: Sequence[tuple[str, str]] = (),
                 resamples: int = RESAMPLES, seed: int = SEED, include_unfinished: bool = False) -> Report:
    try:
        with Store.open(db, create=False) as store:
            selection = select_methods(store, names, dataset, include_unfinished)
    except StoreError as exc:
        raise ReportError(str(exc)) from exc
    methods = selection.methods
    by_name = {m.name: m for m in methods}
    repaired = {r.name for r in selection.repairs}
    rounds = {r.name for c in selection.curricula for r in c.rounds}
    for option, name in [("--baseline", baseline), *(("--pair", n) for pair in pairs for n in pair)]:
        if name in repaired and name not in by_name:
            raise ReportError(_("{option} {name} is a repair run: {option} takes bench runs (repair runs are shown "
                                "apart, epoch by epoch)").format(option=option, name=repr(name)))
        if name in rounds and name not in by_name:
            raise ReportError(_("{option} {name} is a curriculum round: {option} takes bench runs compared as "
                                "methods (a curriculum's rounds cover their own tasks and are shown apart)").format(
                option=option, name=repr(name)))
    if baseline is not None and baseline not in by_name:
        raise ReportError(_("--baseline {name} is not one of the runs in this report ({runs})").format(
            name=repr(baseline), runs=", ".join(sorted(by_name))))
    base = by_name.get(baseline) if baseline else None
    chosen_pairs = chain_pairs(methods, pairs)
    dataset = methods[0].run.dataset if methods else ", ".join(dict.fromkeys(
        [*(r.run.dataset for r in selection.repairs), *(c.dataset for c in selection.curricula),
         *(t.run.dataset for t in selection.texts)]))
    return Report(
        db=Path(db), dataset=dataset, methods=methods,
        comparisons=compare_all(methods, resamples, seed), pairs=chosen_pairs,
        pair_tests=[compare(a, b, resamples, seed) for a, b in chosen_pairs], baseline=base,
        deltas={m.name: compare(base, m, resamples, seed) for m in methods if base and m is not base},
        resamples=resamples, seed=seed, selection=selection)


def draw(report: Report, out: Path, heatmap: bool) -> dict[str, Path]:
    """The charts this report has material for, as name -> PNG."""
    files = {}
    if report.methods:
        files["passed"] = charts.passed_chart(report.methods, report.dataset, out / "passed.png",
                                              report.shown_scope if report.shared_only else "")
    if report.rewarded:
        files["reward"] = charts.reward_chart(report.methods, out / "reward.png")
    if heatmap and report.methods:
        files["heatmap"] = charts.heatmap_chart(report.methods, out / "heatmap.png")
    if report.pairs:
        files["chain_impact"] = charts.chain_chart(report.pairs, report.pair_tests, out / "chain_impact.png")
    if report.chained:
        files["rounds"] = charts.rounds_chart(report.methods, out / "rounds.png")
    if report.comparisons:
        files["significance"] = charts.significance_chart(report.comparisons, out / "significance.png")
    if report.repairs:
        files["repair"] = charts.repair_chart(report.repairs, out / "repair.png")
    if report.curricula:
        files["curriculum"] = charts.curriculum_chart(report.curricula, out / "curriculum.png")
    return files


def write_report(report: Report, out: Path, heatmap: bool = False, html: bool = False) -> dict[str, Path]:
    """Charts, report.json and (with html) report.html under `out`; returns them all by name. Files an earlier
    report wrote there (its report.json lists them) that this one does not write again are removed, and
    listed in `report.removed`; nothing else in the folder is touched."""
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        earlier = earlier_files(out)
        report.files = draw(report, out, heatmap)
        report.files["json"] = out / "report.json"
        if html:
            report.files["html"] = out / "report.html"
        report.files["json"].write_text(json.dumps(report_json(report), indent=2) + "\n", encoding="utf-8")
        if html:
            report.files["html"].write_text(render_html(report), encoding="utf-8")
        report.removed = []
        for name in sorted(earlier - {path.name for path in report.files.values()}):
            stale = out / name
            if stale.is_file() or stale.is_symlink():
                stale.unlink()
                report.removed.append(name)
    except OSError as exc:
        raise ReportError(_("cannot write the report under {path}: {error}").format(path=out, error=exc)) from exc
    return report.files


def earlier_files(out: Path) -> set[str]:
    """The files an earlier report wrote into `out`, as its report.json lists them (plain names only)."""
    try:
        earlier = json.loads((out / "report.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return set()
    if not isinstance(earlier, dict) or "definitions" not in earlier or not isinstance(earlier.get("files"), dict):
        return set()  # not a report's own listing: nothing in the folder is ours to remove
    return {name for name in earlier["files"].values()
            if isinstance(name, str) and name not in ("", ".", "..") and Path(name).name == name
            and "\\" not in name}


def _score(s: Score) -> dict:
    return {"value": s.value, "low": s.low, "high": s.high, "interval": s.interval.value}


def _comparison(c: Comparison) -> dict:
    return {"a": c.a, "b": c.b, "tasks": c.tasks, "only_a": c.only_a, "only_b": c.only_b, "both": c.both,
            "neither": c.neither, "p_value": c.p_value, "p_holm": c.p_holm, "significant": c.significant,
            "diff": c.diff, "diff_low": c.diff_low, "diff_high": c.diff_high}


def _method(m: MethodResult, delta: Optional[Comparison]) -> dict:
    run = m.run
    return {
        "name": m.name, "oracle_feedback": run.oracle_feedback, "finished": m.finished, "model": run.model,
        "mined_from": run.mined_from, "own_failures": run.own_failures,
        "backend": run.backend, "adapter": run.adapter, "prompt_mode": run.prompt_mode,
        "feedback": run.feedback if run.chain else None, "chain": run.chain,
        "samples_per_task": run.samples_per_task, "seed": run.seed,
        "tasks": m.tasks, "run_tasks": m.run_tasks, "solved": m.solved_count, "solved_pct": 100 * m.solved_share,
        "solved_interval": _score(m.solved_interval),
        "pass_at_k": {str(k): _score(s) for k, s in sorted(m.scores.items())},
        "reward": m.reward.to_json() if m.reward is not None else None,
        "metrics": {s.metric: s.to_json() for s in m.metrics},
        "rounds": [{"round": p.round, "solved": p.solved, "pass_at_1": _score(p.pass_at_1), "reward": p.reward}
                   for p in m.rounds],
        "vs_baseline": None if delta is None else {
            "baseline": delta.a, "diff": delta.diff, "diff_low": delta.diff_low, "diff_high": delta.diff_high,
            "p_value": delta.p_value, "only_baseline": delta.only_a, "only_method": delta.only_b},
        "config": run.config, "versions": run.versions,
    }


def _repair(r: RepairResult) -> dict:
    return {**repair_dict(r.run, r.epochs), "config": r.run.config, "versions": r.run.versions}


def _curriculum(c: CurriculumResult) -> dict:
    return {"name": c.name, "dataset": c.dataset, "rounds_planned": c.planned, "finished": c.finished,
            "rounds": [{"round": r.round, "run": r.name, "finished": r.finished, "tasks": r.tasks, "new": r.new,
                        "revisited": r.revisited, "samples": r.samples, "pass_at_1": _score(r.pass_at_1),
                        "solved": r.solved, "failed": len(r.failed), "failed_tasks": list(r.failed),
                        "unchecked": r.unchecked,
                        "revisited_next": r.revisited_next, "finetune": r.finetune, "adapter": r.adapter,
                        "config": r.run.config, "versions": r.run.versions} for r in c.rounds]}


def report_json(report: Report) -> dict:
    tasks, cells = charts.heatmap_order(report.methods)
    return {
        "dataset": report.dataset,
        "scope": report.scope,
        "tasks": {"compared": report.tasks, "covered": report.covered, "shared_only": report.shared_only},
        "baseline": report.baseline.name if report.baseline else None,
        "definitions": DEFINITIONS,
        "intervals": {m.value: INTERVAL_TEXT[m] for m in report.intervals},
        "bootstrap": {"resamples": report.resamples, "seed": report.seed},
        "methods": [_method(m, report.deltas.get(m.name)) for m in report.methods],
        "mined": report.mined_note(shown=False),
        "left_out": [{"run": x.run.name, "tasks": x.tasks, "samples": x.samples, "reason": x.reason}
                     for x in report.left_out],
        "chain_impact": [{"method": a.name, "chained": b.name, "tasks": b.tasks, "before": a.solved_count,
                          "after": b.solved_count, "change": b.solved_count - a.solved_count,
                          "change_pp": 100 * (b.solved_share - a.solved_share), **_comparison(test)}
                         for (a, b), test in zip(report.pairs, report.pair_tests)],
        "significance": [_comparison(c) for c in report.comparisons],
        "heatmap": {"methods": [m.name for m in report.methods], "tasks": tasks,
                    "cells": [[None if math.isnan(v) else int(v) for v in row] for row in cells]},
        "repair": [_repair(r) for r in report.repairs],
        "curricula": [_curriculum(c) for c in report.curricula],
        "text_runs": [{"name": t.name, "dataset": t.run.dataset, "model": t.run.model, "adapter": t.run.adapter,
                       "tasks": t.tasks, "finished": t.finished, "metrics": {s.metric: s.to_json() for s in t.metrics},
                       "config": t.run.config, "versions": t.run.versions} for t in report.texts],
        "files": {name: path.name for name, path in report.files.items()},
    }
