"""McNemar's exact test, Holm's correction and the paired bootstrap, against numbers worked out by hand."""

from __future__ import annotations

import pytest

from codeforge.report.stats import holm, mcnemar_exact, paired_bootstrap


@pytest.mark.parametrize("b, c, expected", [
    (0, 0, 1.0),  # no discordant task: nothing to test
    (1, 0, 1.0),  # 2 * P(X <= 0 | n=1) = 2 * 1/2
    (0, 1, 1.0),
    (8, 1, 0.0390625),  # 2 * (C(9,0) + C(9,1)) / 2^9 = 2 * 10 / 512
    (1, 8, 0.0390625),  # symmetric
    (0, 14, 0.0001220703125),  # 2 / 2^14
    (5, 6, 1.0),  # 2 * P(X <= 5 | n=11) = 2 * 1024/2048, capped at 1
    (3, 0, 0.25),  # 2 / 2^3
    (7, 21, 2 * 1683218 / 268435456),  # C(28, 0..7) = 1+28+378+3276+20475+98280+376740+1184040 = 1683218
])
def test_mcnemar_exact_matches_the_binomial_worked_by_hand(b, c, expected):
    assert mcnemar_exact(b, c) == expected


def test_mcnemar_handles_more_discordant_tasks_than_a_float_can_count():
    assert mcnemar_exact(600, 600) == 1.0
    assert 0.0 <= mcnemar_exact(400, 700) < 1e-15


def test_mcnemar_refuses_negative_counts():
    with pytest.raises(ValueError):
        mcnemar_exact(-1, 2)


def test_holm_adjusts_in_step_down_order_and_keeps_the_given_order():
    # sorted: 0.01 * 3 = 0.03; 0.03 * 2 = 0.06; 0.04 * 1 = 0.04 -> raised to 0.06 (monotone)
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.9]) == [1.0, 1.0]
    assert holm([]) == []


def test_bootstrap_interval_holds_the_point_difference_and_is_deterministic():
    a = [1, 1, 0, 0, 1, 0, 1, 1, 0, 1] * 5
    b = [1, 1, 1, 0, 1, 1, 1, 1, 0, 1] * 5
    diff, low, high = paired_bootstrap(a, b, resamples=5000, seed=7)
    assert diff == pytest.approx(0.2)
    assert low <= diff <= high and low > 0  # every resample gains, never loses
    assert paired_bootstrap(a, b, resamples=5000, seed=7) == (diff, low, high)
    assert paired_bootstrap(b, a, resamples=5000, seed=7) == pytest.approx((-diff, -high, -low))


def test_bootstrap_of_identical_methods_is_exactly_zero():
    assert paired_bootstrap([1, 0, 1], [1, 0, 1]) == (0.0, 0.0, 0.0)
    assert paired_bootstrap([], []) == (0.0, 0.0, 0.0)
