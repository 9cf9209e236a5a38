"""The headline, net funds in cases with no alert, funds-matched by volume band: what a
reviewer would check by hand on small groups."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiments.effect.headline import Group, compare, group_of, matched, unalerted_share

BINS = [10_000.0, 100_000.0, 1_000_000.0]


def rec(i: int, funds: float, tops: list[float]) -> dict:
    return {"id": f"s{i}", "funds_usd": funds, "max_scores": tops}


def test_a_case_is_unalerted_in_the_placements_where_no_transaction_reaches_the_threshold():
    r = rec(0, 50_000, [0.2, 0.9, 0.4])
    assert unalerted_share(r, 0.5) == pytest.approx(2 / 3)
    assert unalerted_share(r, 0.1) == 0.0 and unalerted_share(r, 0.95) == 1.0
    assert unalerted_share(rec(1, 1.0, [0.5]), 0.5) == 0.0  # at the threshold is alerted
    with pytest.raises(ValueError, match="s2: no placements scored"):
        unalerted_share(rec(2, 1.0, []), 0.5)


def test_detectors_are_averaged_per_scenario_and_bands_come_from_funds_placed():
    a = [rec(0, 5_000, [0.9]), rec(1, 500_000, [0.1])]
    b = [rec(0, 5_000, [0.1]), rec(1, 500_000, [0.1])]
    g = group_of([a, b], [0.5, 0.5], BINS)
    assert g.unalerted.tolist() == [0.5, 1.0]
    assert g.bands.tolist() == ["v0", "v2"]
    with pytest.raises(ValueError, match="not of the same scenarios"):
        group_of([a, b[::-1]], [0.5, 0.5], BINS)


def grp(rows: list[tuple[float, float]]) -> Group:
    f = np.array([r[0] for r in rows])
    u = np.array([r[1] for r in rows])
    from orchestrator.engine import volume_band

    return Group(f, u, np.array([volume_band(x, BINS) for x in f], dtype=object))


def test_bands_weigh_equally_so_size_alone_cannot_make_a_gap():
    # in each band the elites evade exactly as often as the drafts; the elites are mostly
    # small (which evade more) and the drafts mostly large: unmatched, a gap appears
    small, large = 5_000.0, 500_000.0
    drafts = grp([(small, 1.0)] * 3 + [(small, 0.0)] * 1 + [(large, 0.0)] * 12 + [(large, 1.0)] * 4)
    elites = grp([(small, 1.0)] * 12 + [(small, 0.0)] * 4 + [(large, 0.0)] * 3 + [(large, 1.0)] * 1)
    raw = lambda g: (g.funds * g.unalerted).sum() / g.funds.sum()  # noqa: E731
    assert raw(elites) - raw(drafts) > 0.015  # pooled over sizes: a gap made by size alone
    count = lambda g: g.unalerted.mean()  # noqa: E731
    assert count(elites) - count(drafts) == pytest.approx(0.3)  # per scenario: larger still
    c = compare(drafts, elites, 3, 0, 300)
    assert c["gap"]["value"] == pytest.approx(0.0, abs=1e-12)
    assert c["bands"] == ["v0", "v2"] and c["n"] == [20, 20]
    assert c["first"]["value"] == pytest.approx(0.5) and c["second"]["value"] == pytest.approx(0.5)


def test_a_band_missing_from_one_group_is_left_out_and_none_shared_says_why():
    drafts = grp([(5_000.0, 0.0)] * 4 + [(500_000.0, 0.0)] * 4)
    elites = grp([(5_000.0, 1.0)] * 4 + [(50_000_000.0, 1.0)] * 4)
    c = compare(drafts, elites, 3, 0, 300)
    assert c["bands"] == ["v0"] and c["gap"]["value"] == 1.0 and c["n"] == [4, 4]
    none = compare(drafts, grp([(50_000_000.0, 1.0)] * 4), 3, 0, 300)
    assert none["gap"] is None and "no volume band holds 3 or more" in none["why"]


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from([3e3, 3e4, 3e5]), st.floats(0, 1)), min_size=6, max_size=30),
    st.lists(st.tuples(st.sampled_from([3e3, 3e4, 3e5]), st.floats(0, 1)), min_size=6, max_size=30),
)
def test_the_gap_is_the_difference_of_levels_and_its_interval_holds_it(d, e):
    drafts, elites = grp(d), grp(e)
    c = compare(drafts, elites, 2, 0, 200)
    if c["gap"] is None:
        return
    assert c["gap"]["value"] == pytest.approx(c["second"]["value"] - c["first"]["value"], abs=1e-9)
    for k in ("first", "second", "gap"):
        assert c[k]["low"] - 1e-9 <= c[k]["value"] <= c[k]["high"] + 1e-9
    assert c["gap"]["low"] >= -1 and c["gap"]["high"] <= 1
    assert matched([elites], [1.0], 2, 0, 200)["estimate"].value >= 0
