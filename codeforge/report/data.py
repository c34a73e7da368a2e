"""Stored runs as the report sees them: per method, which tasks it solved and its pass@k, round by round.

Definitions (also written on the HTML page):
- A run's name is its method label. Its tasks (`store.task_ids`) are the denominator; a task with no stored
  sample, or whose samples the sandbox could not check, counts as not passed.
- A sample counts as passed after round r when any of its rounds <= r passed (`bench.runner.summarize`). A
  run's final result is after its last round (the larger of its last stored round and its --chain).
- A task is *solved* by a method when its first sample (sample 0) passed after the final round. Counts,
  percentages, the heatmap and McNemar's test use this yes/no per task, so that every method gets one
  answer per task even when runs drew different numbers of samples.
- pass@k uses every sample (the unbiased estimator, with a normal 95% interval over tasks: `bench.metrics`).

Only the store's API is read here; nothing is executed or generated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Sequence

from ..bench.scores import Score, first_passing_round, pass_at_k, score, summarize
from ..store import RunRecord, Store

KS = (1, 10, 100)


class ReportError(Exception):
    """The report cannot be made from what is stored; the message says what to do."""


@dataclass(frozen=True)
class RoundPoint:
    round: int
    pass_at_1: Score
    solved: int  # tasks whose sample 0 passed in this round or before


@dataclass(frozen=True)
class MethodResult:
    run: RunRecord
    task_ids: tuple[str, ...]
    solved: tuple[bool, ...]  # per task, in task order: sample 0 passed after the final round
    pass1: tuple[float, ...]  # per task: pass@1 (passed samples / samples) after the final round
    scores: dict[int, Score]  # k -> pass@k after the final round, for every k all tasks have samples for
    rounds: tuple[RoundPoint, ...]

    @property
    def name(self) -> str:
        return self.run.name

    @property
    def tasks(self) -> int:
        return len(self.task_ids)

    @property
    def solved_count(self) -> int:
        return sum(self.solved)

    @property
    def solved_share(self) -> float:
        return self.solved_count / self.tasks if self.tasks else 0.0

    @property
    def solved_interval(self) -> Score:
        """The normal 95% interval of the solved share, as bench.metrics computes it for pass@1 with n=1."""
        return score([(1, int(s)) for s in self.solved], 1)

    @property
    def chained(self) -> bool:
        return len(self.rounds) > 1

    def solved_by_task(self) -> dict[str, bool]:
        return dict(zip(self.task_ids, self.solved))

    def pass1_by_task(self) -> dict[str, float]:
        return dict(zip(self.task_ids, self.pass1))


def method_result(store: Store, run: RunRecord) -> MethodResult:
    samples = store.samples(run.id)
    task_ids = store.task_ids(run.id)
    if not task_ids:
        raise ReportError(f"run {run.name!r} on {run.dataset} has no tasks stored (it never started): leave it "
                          f"out with --runs, or remove it with `codeforge bench delete {run.name}`")
    n = run.samples_per_task
    last = max([run.chain, *(s.round for s in samples)])
    first = first_passing_round(samples)

    def passed_by(task_id: str, sample: int, upto: int) -> bool:
        found = first.get((task_id, sample))
        return found is not None and found <= upto

    summaries = [summarize(samples, task_ids, n, r, KS) for r in range(last + 1)]
    rounds = [RoundPoint(r, summaries[r].scores[1], sum(passed_by(t, 0, r) for t in task_ids))
              for r in range(last + 1)]
    return MethodResult(
        run=run, task_ids=tuple(task_ids),
        solved=tuple(passed_by(t, 0, last) for t in task_ids),
        pass1=tuple(pass_at_k(n, sum(passed_by(t, s, last) for s in range(n)), 1) for t in task_ids),
        scores=summaries[-1].scores, rounds=tuple(rounds))


def select_runs(runs: Sequence[RunRecord], names: Optional[Sequence[str]], dataset: Optional[str],
                where: str) -> list[RunRecord]:
    """The runs to report on, all on one dataset, in the order named (else the store's order)."""
    if not runs:
        raise ReportError(f"no runs in {where}: run `codeforge bench ...` first")
    if dataset is not None:
        datasets = sorted({r.dataset for r in runs})
        if dataset not in datasets:
            raise ReportError(f"no runs on dataset {dataset!r} in {where} (datasets: {', '.join(datasets)})")
    chosen = [r for r in runs if dataset is None or r.dataset == dataset]
    if names:
        known = {r.name for r in chosen}
        unknown = [n for n in names if n not in known]
        if unknown:
            on = f" on {dataset}" if dataset else ""
            raise ReportError(f"no run named {', '.join(map(repr, unknown))}{on} in {where}. "
                              f"Known runs{on}: {', '.join(sorted(known))}")
        chosen = [r for name in dict.fromkeys(names) for r in chosen if r.name == name]
    datasets = sorted({r.dataset for r in chosen})
    if len(datasets) > 1:
        raise ReportError(f"the runs are on several datasets ({', '.join(datasets)}): pass --dataset to "
                          "compare runs on one of them")
    return chosen


def load_methods(store: Store, names: Optional[Sequence[str]] = None,
                 dataset: Optional[str] = None) -> list[MethodResult]:
    """The chosen runs' results, least to most successful (solved tasks, then pass@1, then name)."""
    results = [method_result(store, run) for run in select_runs(store.runs(), names, dataset, str(store.path))]
    return sorted(results, key=lambda m: (m.solved_count, m.scores[1].value, m.name))


_CHAINED = re.compile(r"^(?P<base>.+)_CHAIN\d*$")


def chain_pairs(methods: Sequence[MethodResult],
                explicit: Sequence[tuple[str, str]] = ()) -> list[tuple[MethodResult, MethodResult]]:
    """(method, its chained version): X with X_CHAIN (or X_CHAIN3, as bench names runs), plus explicit pairs."""
    by_name = {m.name: m for m in methods}
    wanted = []
    for m in methods:
        match = _CHAINED.match(m.name)
        if match and match["base"] in by_name:
            wanted.append((match["base"], m.name))
    for a, b in explicit:
        missing = [x for x in (a, b) if x not in by_name]
        if missing:
            raise ReportError(f"--pair {a}:{b}: no run {', '.join(map(repr, missing))} in this report "
                              f"(runs: {', '.join(sorted(by_name))})")
        wanted.append((a, b))
    return [(by_name[a], by_name[b]) for a, b in dict.fromkeys(wanted)]
