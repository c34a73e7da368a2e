"""How numbers read, the same in the terminal, the HTML page and the charts."""

from __future__ import annotations

from typing import Iterable, Optional

from ..bench.scores import INTERVAL_LABEL, Score


def pct(share: float) -> str:
    return f"{100 * share:.1f}%"


def score_cell(s: Score, marked: bool = False) -> str:
    """In percent; the column header says so (and which interval, unless the cell must: `marked`)."""
    cell = f"{100 * s.value:.1f} [{100 * s.low:.1f}, {100 * s.high:.1f}]"
    return f"{cell} {INTERVAL_LABEL[s.interval]}" if marked else cell


def score_header(k: int, scores: Iterable[Score]) -> tuple[str, bool]:
    """The column header for pass@k, naming the interval when one method made them all; else each cell
    names its own (the second value)."""
    used = sorted({INTERVAL_LABEL[s.interval] for s in scores})
    if len(used) == 1:
        return f"pass@{k} % [95% {used[0]}]", False
    return f"pass@{k} % [95% CI]", True


REWARD_HEADERS = ("runnable", "tests passed", "coverage of the function")


def reward_headers(rewards: Iterable) -> tuple[list[str], bool]:
    """The reward's four columns, the mean's naming its interval as pass@k's does (the second value: each mean
    cell names its own)."""
    used = sorted({INTERVAL_LABEL[r.mean.interval] for r in rewards if r is not None})
    mean = f"mean reward [95% {used[0]}]" if len(used) == 1 else "mean reward [95% CI]"
    return [mean, *REWARD_HEADERS], len(used) > 1


def reward_cells(reward, marked: bool = False) -> list[str]:
    """A RewardScore as its four cells: the mean (0 to 1) with its interval, then its parts; "-" for a run
    without one."""
    if reward is None:
        return ["-"] * 4
    mean = reward.mean
    cell = f"{mean.value:.3f} [{mean.low:.3f}, {mean.high:.3f}]"
    return [f"{cell} {INTERVAL_LABEL[mean.interval]}" if marked else cell, pct(reward.runnable),
            f"{reward.tests_passed}/{reward.tests_declared} ({pct(reward.tests_share)})", pct(reward.coverage)]


def points(diff: float) -> str:
    return f"{100 * diff:+.1f} pp"


def points_interval(diff: float, low: float, high: float) -> str:
    """In percentage points; the column header says so."""
    return f"{100 * diff:+.1f} [{100 * low:+.1f}, {100 * high:+.1f}]"


def p_value(p: float) -> str:
    return f"{p:.3g}"


def feedback(run) -> str:
    if run.chain == 0:
        return "none"
    return "hidden tests (ORACLE)" if run.oracle_feedback else f"{run.feedback} examples"


def adapter(run) -> str:
    """The adapter, with what codeforge finetune recorded about it (graph, feedback, contamination)."""
    if not run.adapter:
        return "-"
    manifest = (run.config or {}).get("adapter_manifest")
    if not manifest:
        return run.adapter
    from ..models.manifest import Manifest

    try:
        return f"{run.adapter} ({Manifest(**manifest).label()})"
    except TypeError:
        return run.adapter


def severities(counts) -> str:
    """A FindingCounts as "4 (2/1/1)": all, then high/medium/low."""
    return f"{counts.total} ({counts.by_severity['high']}/{counts.by_severity['medium']}/{counts.by_severity['low']})"


def repair_rejected(epochs) -> str:
    """Patches rejected over every epoch, and why: "2 (fails_tests 1, no_code 1)"."""
    reasons: dict[str, int] = {}
    for e in epochs:
        for reason, n in e.rejected.items():
            reasons[reason] = reasons.get(reason, 0) + n
    total = sum(reasons.values())
    return f"{total} ({', '.join(f'{r} {n}' for r, n in reasons.items() if n)})" if total else "0"


def repair_rows(repairs) -> tuple[list[str], list[list[str]]]:
    """The repair runs' table, the same in the terminal and on the page: (headers, rows) with one EFR column per
    epoch (up to the longest run's last)."""
    last = max((len(r.epochs) for r in repairs), default=1) - 1
    headers = ["repair run", "dataset", "programs", "EFR first try % [95% Wilson]",
               *[f"EFR after epoch {e} % [95% Wilson]" for e in range(1, last + 1)], "pass@1 before → after",
               "findings before → after (high/medium/low)", "patches kept/written", "rejected (why)", "unchecked"]
    rows = []
    for r in repairs:
        efr = [score_cell(r.epochs[e].efr) if e < len(r.epochs) else "-" for e in range(last + 1)]
        before, after = r.first.pass_at_1, r.last.pass_at_1
        rows.append([repair_name(r), r.run.dataset, str(r.first.programs), *efr,
                     f"{pct(before.value) if before else '-'} → {pct(after.value) if after else '-'}",
                     f"{severities(r.first.findings)} → {severities(r.last.findings)}",
                     f"{sum(e.kept for e in r.epochs)}/{sum(e.attempted for e in r.epochs)}",
                     repair_rejected(r.epochs), str(r.last.unchecked)])
    return headers, rows


def curriculum_rows(curriculum) -> tuple[list[str], list[list[str]]]:
    """One curriculum's table, the same in the terminal and on the page: (headers, rows), one row per round."""
    marked = score_header(1, [r.pass_at_1 for r in curriculum.rounds])
    headers = ["round", "bench run", "tasks (new + revisited)", "samples", marked[0], "failed",
               "revisited next round", "training run"]
    rows = []
    for r in curriculum.rounds:
        following = str(r.revisited_next) if r.revisited_next is not None else \
            "- (last round)" if r.round >= curriculum.planned else "- (next round not stored)"
        rows.append([f"{r.round} of {curriculum.planned}", r.name if r.finished else f"{r.name} (unfinished)",
                     f"{r.tasks} ({r.new} + {r.revisited})", str(r.samples), score_cell(r.pass_at_1, marked[1]),
                     f"{len(r.failed)} of {r.tasks}", following, r.finetune or "-"])
    return headers, rows


def no_methods(report) -> str:
    """What the methods' part says when the report has none: which runs it holds instead."""
    kinds = [kind for kind, found in (("repair runs", report.repairs), ("curriculum rounds", report.curricula),
                                      ("runs of text tasks", report.texts)) if found]
    return (f"no bench run in this report: only {' and '.join(kinds)}, shown below (they are not compared as "
            "methods)")


def metric_rows(named, correlated: bool = True) -> tuple[list[str], list[list[str]]]:
    """One row per (method or text run, similarity metric), from (its label, its MetricScores): mean [95%
    bootstrap], samples scored and skipped, and (for methods, which have verdicts) r with passing."""
    headers = ["method" if correlated else "run", "metric", "mean [95% bootstrap]", "samples", "skipped"]
    if correlated:
        headers.append("r with passing [95%]")
    rows = []
    for name, metrics in named:
        for m in metrics:
            found = m.correlation
            row = [name, m.metric,
                   f"{m.mean.value:.3f} [{m.mean.low:.3f}, {m.mean.high:.3f}]" if m.samples else "-",
                   str(m.samples) + (f" ({m.missing} not scored)" if m.missing else ""), str(m.skipped)]
            if correlated:
                row.append("-" if found is None else f"{found.r:+.3f} [{found.low:+.3f}, {found.high:+.3f}]")
            rows.append(row)
    return headers, rows


def sentences(*parts: str) -> str:
    """Definitions written as clauses, read as sentences."""
    return " ".join(f"{p[0].upper()}{p[1:]}." for p in parts if p)


ORACLE_MARK = "†"  # oracle feedback: the run's later rounds saw the benchmark's own tests
MINED_MARK = "‡"  # scored on a set mined from its own model's failures (bench mine-hard)


def mined_note(runs) -> Optional[str]:
    """Which stored runs the tasks of `runs` (bench runs) were mined from, and which of them are scored on their
    own model's failures; None when no run is over a mined set."""
    sources = []
    for run in runs:
        source = run.mined_from
        if source is not None and source not in sources:
            sources.append(source)
    if not sources:
        return None
    described = "; ".join(", ".join(_mined_run(r) for r in source["runs"] if isinstance(r, dict))
                          + (f" (provenance: {source.get('provenance')})" if source.get("provenance") else "")
                          for source in sources)
    note = f"The tasks were mined by codeforge bench mine-hard from the failures of the runs {described}."
    own = [run.name for run in runs if run.own_failures]
    if own:
        note += (f" {MINED_MARK} scored on its own failures ({', '.join(own)}): its model is one of those the tasks "
                 "were chosen to defeat, so its score is not comparable with the others'.")
    return note


def _mined_run(run: dict) -> str:
    """"BASE (Qwen/Qwen2.5-Coder-0.5B-Instruct + adapters/ast-lora)"."""
    adapter = f" + {run.get('adapter')}" if run.get("adapter") else ""
    return f"{run.get('name')} ({run.get('model')}{adapter})"


def repair_name(repair) -> str:
    """Marked when the model was shown the tests' failures (oracle feedback) and when unfinished."""
    name = f"{repair.name} {ORACLE_MARK}" if repair.run.oracle_feedback else repair.name
    return name if repair.finished else f"{name} (unfinished)"


def repair_change(repair) -> str:
    """"EFR 25.0% → 75.0%, pass@1 75.0% → 100.0%, findings 4 (2/1/1) → 1 (0/1/0), first try → after epoch 2"."""
    first, last = repair.first, repair.last
    passed = [pct(e.pass_at_1.value) if e.pass_at_1 else "-" for e in (first, last)]
    return (f"EFR {pct(first.efr.value)} → {pct(last.efr.value)}, pass@1 {passed[0]} → {passed[1]}, findings "
            f"{severities(first.findings)} → {severities(last.findings)} (high/medium/low), first try → after epoch "
            f"{last.epoch}")
