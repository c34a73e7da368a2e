"""How numbers read, the same in the terminal, the HTML page and the charts."""

from __future__ import annotations

from ..bench.scores import Score


def pct(share: float) -> str:
    return f"{100 * share:.1f}%"


def score_cell(s: Score) -> str:
    """In percent; the column header says so."""
    return f"{100 * s.value:.1f} [{100 * s.low:.1f}, {100 * s.high:.1f}]"


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
