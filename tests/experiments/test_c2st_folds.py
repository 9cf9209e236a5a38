"""The C2ST does not leak between its folds: an account that several scenarios use is one
scenario account, and the placebo (the hijacked accounts' background alone) says how far the
test reads without a row of laundering."""

from __future__ import annotations

import numpy as np


def test_an_account_two_scenarios_use_is_one_scenario_account_and_the_placebo_does_not_leak():
    """Every template compiled twice into one World, with the same accounts: counted once each,
    its repeats reported; the placebo of the scenarios' accounts taken once stays far below
    what the same placebo reads when each repeat is a scenario account of its own (the copy's
    background learnt in one fold, met again in another)."""
    from detectors.units import matched_units
    from experiments.effect.realism import _window_frame, c2st, placebo
    from graph_schema.baseline import sample_baseline
    from graph_schema.compiler import compile_scenario
    from graph_schema.world import WorldConfig, generate_world

    world = generate_world(WorldConfig(accounts=3000, days=10, seed=7))
    compiled = sample_baseline(world, 10**9, 3, limit=12)
    twice = compiled + [compile_scenario(c.scenario, world, c.seed) for c in compiled]
    ts = world.ledger.column("timestamp").to_numpy().astype("datetime64[s]").view(np.int64)
    window = (int(ts.min()), int(ts.max()) + 1)
    base, span = _window_frame(world, window), float(window[1] - window[0])

    r = c2st(world, window, twice, resamples=100)
    each = [{a for a in c.entity_accounts.values() if a >= 0} for c in compiled]
    opened = sum(1 for c in compiled for a in c.entity_accounts.values() if a < 0)
    assert r.repeats == 2 * sum(map(len, each)) - len(set().union(*each))
    assert r.scenario_accounts == len(set().union(*each)) + 2 * opened
    u, _ = matched_units(world, base, twice, 3, np.random.default_rng(0), distinct=True)
    pos = u[u["label"] == 1]
    assert not pos.loc[pos["account"] < world.n_accounts, "account"].duplicated().any()

    leaky, _ = matched_units(world, base, twice, 3, np.random.default_rng(0))
    assert placebo(base, leaky, world.n_accounts, span, 0, 100).value > 0.85
    assert r.placebo.value < 0.7 and r.placebo.low <= r.placebo.value <= r.placebo.high
    assert r.placebo.n == len(set().union(*each))


def test_an_account_two_scenarios_use_carries_only_its_own_scenarios_rows():
    """Scenarios are judged one by one: a template compiled twice onto the same accounts gives
    those accounts exactly the features the template alone gives them, not twice its money
    and payments."""
    from detectors.units import matched_units, unit_features
    from experiments.effect.realism import _window_frame
    from graph_schema.baseline import sample_baseline
    from graph_schema.compiler import compile_scenario
    from graph_schema.world import WorldConfig, generate_world

    world = generate_world(WorldConfig(accounts=3000, days=10, seed=7))
    once = sample_baseline(world, 10**9, 3, limit=6)
    twice = once + [compile_scenario(c.scenario, world, c.seed) for c in once]
    base = _window_frame(world, (0, 2**40))
    feats = []
    for compiled in (once, twice):
        u, scen = matched_units(world, base, compiled, 3, np.random.default_rng(0), distinct=True)
        f = unit_features(base, u, scen, 864_000.0)
        feats.append(f[(f["label"] == 1) & (f["account"] < world.n_accounts)].set_index("account"))
    alone, doubled = feats
    assert len(alone) and alone.index.equals(doubled.index)
    assert alone.drop(columns=["controls"]).equals(doubled.drop(columns=["controls"]))
    assert (np.expm1(alone["n_out"]) + np.expm1(alone["n_in"]) > 0).all()
