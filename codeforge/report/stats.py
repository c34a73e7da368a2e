"""Is one method really better than another on the same tasks?

- McNemar's exact test looks only at the discordant tasks: b solved by A alone, c by B alone. Under "no
  difference" each is a coin flip, so the two-sided p-value is min(1, 2 * P(X <= min(b, c))) with
  X ~ Binomial(b + c, 1/2). Computed with exact integers (math.comb), so no scipy.
- The paired bootstrap resamples tasks (with replacement) and recomputes the mean per-task difference in
  pass@1; the 2.5% and 97.5% quantiles are the 95% interval. The seed is fixed: the same store gives the
  same interval.
- Holm's step-down correction adjusts the p-values for testing every pair at once (labelled "Holm" wherever
  it is shown); a pair is called significant when its Holm-adjusted p is below 0.05.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Sequence

from .data import MethodResult

RESAMPLES = 10_000
SEED = 0
ALPHA = 0.05


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts b (only A) and c (only B)."""
    if b < 0 or c < 0:
        raise ValueError(f"discordant counts must be >= 0 (b={b}, c={c})")  # untranslated: programming error
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(b, c) + 1))
    # An exact fraction: 2**n overflows a float once n passes 1023.
    return float(min(Fraction(1), Fraction(2 * tail, 2 ** n)))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values, in the order given."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [0.0] * len(p_values)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def paired_bootstrap(a: Sequence[float], b: Sequence[float], resamples: int = RESAMPLES,
                     seed: int = SEED) -> tuple[float, float, float]:
    """(mean of b - a, low, high): the 95% percentile interval of the mean paired difference over tasks."""
    import numpy as np

    if len(a) != len(b):
        raise ValueError("paired values need the same tasks")  # untranslated: programming error
    diffs = np.asarray(b, dtype=float) - np.asarray(a, dtype=float)
    if diffs.size == 0:
        return 0.0, 0.0, 0.0
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, diffs.size, size=(resamples, diffs.size))
    means = diffs[picks].mean(axis=1)
    low, high = np.quantile(means, [0.025, 0.975])
    return float(diffs.mean()), float(low), float(high)


@dataclass(frozen=True)
class Comparison:
    a: str
    b: str
    tasks: int  # tasks both runs cover
    only_a: int
    only_b: int
    both: int
    neither: int
    p_value: float  # McNemar exact, two-sided
    diff: float  # pass@1(B) - pass@1(A) on the shared tasks
    diff_low: float
    diff_high: float
    p_holm: float = 1.0

    @property
    def significant(self) -> bool:
        return self.p_holm < ALPHA


def compare(a: MethodResult, b: MethodResult, resamples: int = RESAMPLES, seed: int = SEED) -> Comparison:
    solved_b, pass1_b = b.solved_by_task(), b.pass1_by_task()
    shared = [t for t in a.task_ids if t in solved_b]
    solved_a, pass1_a = a.solved_by_task(), a.pass1_by_task()
    pairs = [(solved_a[t], solved_b[t]) for t in shared]
    only_a = sum(1 for x, y in pairs if x and not y)
    only_b = sum(1 for x, y in pairs if y and not x)
    diff, low, high = paired_bootstrap([pass1_a[t] for t in shared], [pass1_b[t] for t in shared], resamples, seed)
    return Comparison(a.name, b.name, len(shared), only_a, only_b, both=sum(1 for x, y in pairs if x and y),
                      neither=sum(1 for x, y in pairs if not x and not y), p_value=mcnemar_exact(only_a, only_b),
                      diff=diff, diff_low=low, diff_high=high)


def compare_all(methods: Sequence[MethodResult], resamples: int = RESAMPLES, seed: int = SEED) -> list[Comparison]:
    """Every pair, A before B in the order given (least to most successful), with Holm-adjusted p-values."""
    found = [compare(a, b, resamples, seed) for i, a in enumerate(methods) for b in methods[i + 1:]]
    adjusted = holm([c.p_value for c in found])
    return [replace(c, p_holm=p) for c, p in zip(found, adjusted)]
