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
