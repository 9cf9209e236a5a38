"""The realism reference: the C2ST of the World's own legitimate typologies against their
profile's peers, which a scenario's C2ST is read against."""

from __future__ import annotations


def test_the_reference_tells_structured_legitimate_accounts_from_their_peers():
    """Cash businesses that deposit nearly every business day and payroll payers are far from
    their profile's ordinary accounts; a typology with too few accounts is left out, not
    scored on noise; every figure has its interval and count."""
    from experiments.effect.realism import legit_reference
    from graph_schema.world import WorldConfig, generate_world, legit_participants

    cfg = WorldConfig(accounts=3000, days=10, seed=7)
    parts = legit_participants(cfg)
    ref = legit_reference(generate_world(cfg), parts, resamples=200)
    assert ref["cash_business"].value > 0.85 and ref["payroll_fan_out"].value > 0.8
    assert len(parts["property"]) < 20 and "property" not in ref
    for name, est in ref.items():
        assert est.low <= est.value <= est.high and est.n == min(len(parts[name]), 600), name


def test_by_family_scores_each_family_against_its_own_controls():
    """A family whose accounts the discriminator ranks above their controls scores near 1, one
    it cannot tell scores near 0.5, though both share one pooled AUC; a family of a single
    scenario is left out; n counts scenarios."""
    import numpy as np

    from experiments.effect.realism import by_family

    rng = np.random.default_rng(0)
    family = ["fan_out"] * 6 + ["cycle"] * 6 + ["stack"]
    groups = np.repeat(np.arange(13), 8)  # per scenario: 2 accounts and 6 controls
    y = np.tile([1, 1, 0, 0, 0, 0, 0, 0], 13)
    p = rng.uniform(0, 1, len(y))
    told = (groups < 6) & (y == 1)
    p[told] += 1.0  # fan-out accounts stand out; cycle accounts look like their controls
    out = by_family(family, y, p, groups, seed=0, resamples=300)
    assert set(out) == {"fan_out", "cycle"}
    assert out["fan_out"].value == 1.0 and out["fan_out"].n == 6
    assert abs(out["cycle"].value - 0.5) < 0.2 and out["cycle"].low < 0.5 < out["cycle"].high


def test_the_sized_c2st_scores_draws_of_a_set_number_of_scenarios():
    """`c2st_sized` compares populations at one number of scenarios: each draw holds exactly
    that many, the whole set drawn once gives the full C2ST's AUC (one definition), the
    spread of the draws brackets their mean, and a number the set cannot give is refused."""
    import numpy as np
    import pytest

    from experiments.effect.realism import c2st, c2st_sized
    from graph_schema.baseline import sample_baseline
    from graph_schema.world import WorldConfig, generate_world

    world = generate_world(WorldConfig(accounts=3000, days=10, seed=7))
    compiled = sample_baseline(world, 10**9, 3, limit=12)
    ts = world.ledger.column("timestamp").to_numpy().astype("datetime64[s]").view(np.int64)
    window = (int(ts.min()), int(ts.max()) + 1)
    whole = c2st_sized(world, window, compiled, len(compiled), draws=1, seed=4)
    assert whole.value == c2st(world, window, compiled, seed=4, resamples=50).auc.value
    part = c2st_sized(world, window, compiled, 6, draws=3, seed=4)
    assert part.n == 6 and part.low <= part.value <= part.high and part.low < part.high
    with pytest.raises(ValueError, match="2 to 12 scenarios"):
        c2st_sized(world, window, compiled, 13)
