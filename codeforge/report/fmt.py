"""How numbers read, the same in the terminal, the HTML page and the charts."""

from __future__ import annotations

from typing import Iterable

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
