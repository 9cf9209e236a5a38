"""Single-split probes: one threshold on the amount, hour, weekday or payer's age alone. A
planted tell is found and named; a property that differs in nothing scores near 0.5; the
scenario-resampled AUC agrees with the usual AUC."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from experiments.effect.probes import PROBES, cluster_auc, first_seen, probe_features, single_splits

DAY = 86_400


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 4), st.integers(0, 5)), min_size=4, max_size=60))
def test_the_scenario_resampled_auc_is_the_auc(rows):
    y, p, g = (np.array(c) for c in zip(*rows, strict=True))
    if not 0 < y.sum() < len(y):
        return
    e = cluster_auc(y, p.astype(float), g, seed=0, resamples=200)
    assert abs(e.value - roc_auc_score(y, p)) < 1e-9
    assert 0 <= e.low <= e.high <= 1
    assert e.n == len(set(g[y == 1]))


def _ledger(rng, n_scen: int = 40, per: int = 20):
    """Scenario rows paid at night by accounts first seen that day; legitimate rows paid in
    office hours by accounts seen since day 0; amounts from one distribution for both."""
    rows = []
    for s in range(n_scen):
        day = int(rng.integers(10, 50))
        for _ in range(per):
            rows.append((1, s, 1000 + s, day * DAY + int(rng.integers(1, 4)) * 3600, rng.lognormal(7, 1)))
            rows.append((0, s, int(rng.integers(0, 1000)), day * DAY + int(rng.integers(9, 17)) * 3600,
                         rng.lognormal(7, 1)))
    df = pd.DataFrame(rows, columns=["label", "group", "src", "t", "usd"])
    df["dst"] = 5
    return df


def test_a_planted_tell_is_found_and_named_and_a_shared_property_is_not():
    rng = np.random.default_rng(7)
    df = _ledger(rng)
    scen = df[df["label"] == 1]
    world = SimpleNamespace(n_accounts=1000, ledger=pa.table({
        "timestamp": pa.array(np.zeros(1000, np.int64) * DAY, pa.timestamp("s")),
        "src_account": pa.array(np.arange(1000)), "dst_account": pa.array(np.full(1000, 5))}))
    seen = first_seen(world, scen)
    assert seen[:1000].max() == 0 and (seen[1000:1040] >= 10 * DAY).all()
    x = probe_features(df, seen)
    assert (x.loc[df["label"] == 1, "payer_age_days"] < 1).all()
    res = single_splits(x, df["label"].to_numpy(), df["group"].to_numpy(), seed=0, resamples=300)
    assert set(res) == set(PROBES)
    for tell in ("hour", "payer_age_days"):
        assert res[tell]["auc"]["low"] > 0.95 and res[tell]["auc"]["n"] == 40
    rule = res["hour"]["rule"]
    assert rule.startswith("hour <= ") and "100% of scenario rows, 0% of legitimate" in rule
    assert 0.35 < res["amount"]["auc"]["value"] < 0.65
