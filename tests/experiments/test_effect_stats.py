"""The effect analysis' confidence intervals: right values, honest widths, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiments.effect.stats import mean, ratio_of_sums, spearman


def test_money_weighted_recall_is_a_ratio_of_sums_with_an_interval():
    alerted, value = [100.0, 0.0, 50.0, 900.0], [100.0, 200.0, 100.0, 1000.0]
    e = ratio_of_sums(alerted, value, resamples=500)
    assert e.value == pytest.approx(1050 / 1400) and e.n == 4
    assert e.low <= e.value <= e.high and e.high - e.low > 0.05
    assert str(e).startswith("0.750 [") and str(e).endswith("(n=4)")


def test_intervals_cover_the_truth_and_narrow_with_more_scenarios():
    rng = np.random.default_rng(0)

    def draw(n):
        value = rng.lognormal(10, 1, n)
        return value * rng.binomial(1, 0.3, n), value  # 30% of scenarios (value-weighted) caught

    small, large = ratio_of_sums(*draw(40), resamples=800), ratio_of_sums(*draw(1000), resamples=800)
    assert large.low < 0.3 < large.high
    assert (large.high - large.low) < (small.high - small.low) / 2


def test_a_share_of_scenarios_and_degenerate_samples():
    caught = mean([1, 0, 0, 1, 1, 0, 0, 0], resamples=500)
    assert caught.value == 0.375 and caught.low < 0.375 < caught.high and caught.n == 8
    assert mean([1, 1, 1]).as_dict() == {"value": 1.0, "low": 1.0, "high": 1.0, "n": 3}


def test_spearman_of_elo_and_miss_rate():
    x = np.arange(30, dtype=float)
    assert spearman(x, 2 * x + 1, resamples=300).value == pytest.approx(1.0)
    noise = spearman(x, np.random.default_rng(1).permutation(x), resamples=300)
    assert noise.low < 0 < noise.high


@pytest.mark.parametrize("args, rule", [(([], []), "non-empty"), (([1.0], [1.0, 2.0]), "same length"),
                                        (([1.0, 2.0], [0.0, 0.0]), "sum to 0")])
def test_bad_input_is_named(args, rule):
    with pytest.raises(ValueError, match=rule):
        ratio_of_sums(*args)
    with pytest.raises(ValueError, match="at least 3 pairs"):
        spearman([1, 2], [1, 2])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1e6), st.floats(1, 1e6)), min_size=2, max_size=30))
def test_the_interval_stays_between_the_smallest_and_largest_item_ratio(pairs):
    num = np.array([min(a, b) for a, b in pairs])  # a share of each scenario's value
    den = np.array([b for _, b in pairs])
    e = ratio_of_sums(num, den, resamples=200)
    lo, hi = (num / den).min(), (num / den).max()
    assert lo - 1e-9 <= e.low <= e.high <= hi + 1e-9 and lo - 1e-9 <= e.value <= hi + 1e-9
