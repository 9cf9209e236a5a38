"""World B: held out from the evolution World, detectors trained on its training split
only, scenarios compiled into its test period, and the E1 hardness table with intervals."""

from __future__ import annotations

import numpy as np
import pytest

from experiments.effect.hardness import hardness
from experiments.effect.heldout import build_heldout
from graph_schema.typologies import sample_scenario
from graph_schema.world import WorldConfig

A = WorldConfig(accounts=2000, days=40, seed=11, laundering_share=0.004)


@pytest.fixture(scope="module")
def b():
    return build_heldout(A, 1000, {"rules": {}, "gine": {"epochs": 8}}, training_share=0.004)


def test_world_b_is_another_world_and_its_test_period_is_held_out(b):
    assert b.world.config.seed == A.seed + 1000
    first, end = b.window
    assert b.world.start_epoch < first < end == b.world.end_epoch
    ts = b.world.ledger.column("timestamp").to_numpy().astype("datetime64[s]").view(np.int64)
    for a in b.armed:  # the alert budget is B's own: about 0.5% of its test-period transactions
        test_scores = a.detector.score_prepared(a.graph)[ts >= first]
        assert abs(np.mean(test_scores >= a.threshold) - b.budget) < 0.004
    with pytest.raises(ValueError, match="must not be 0"):
        build_heldout(A, 0, {"rules": {}}, 0.004)


def test_scenarios_are_compiled_into_b_test_period_and_scored_there(b):
    s = sample_scenario(np.random.default_rng(5), "fan_out")
    o = b.evaluate(s)
    assert o.scenario_id == s.uid and set(o.alerted) == {"rules", "gine"}
    assert len(o.value) == len(o.scores["gine"]) and o.value.sum() > 0 and o.funds_usd > 0


def test_the_hardness_table_has_intervals_and_counts(b):
    scenarios = [sample_scenario(np.random.default_rng(k), t) for k in range(6)
                 for t in ("fan_out", "cycle", "stack")]
    outcomes, failed = b.evaluate_all(scenarios)
    assert len(outcomes) + len(failed) == len(scenarios) and len(outcomes) >= 12
    assert all("longer than the compile window" in why for why in failed.values())
    table = hardness(outcomes, b.armed, resamples=300)
    for name, row in table.items():
        for key in ("recall", "money_recall", "case_share", "case_funds"):
            e = row[key]
            assert e.n == len(outcomes) and 0 <= e.low <= e.high <= 1 and 0 <= e.value <= 1
        # a transaction-level alert implies its case is caught: value alerted <= value of caught cases
        caught_value = sum(o.value.sum() for o in outcomes if o.alerted[name].any())
        assert row["money_recall"].value <= caught_value / sum(o.value.sum() for o in outcomes) + 1e-12
        assert 0 < row["pr_auc"] <= 1
    with pytest.raises(ValueError, match="no evaluated scenarios"):
        hardness([], b.armed)
