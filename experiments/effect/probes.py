"""Single-split probes: can one threshold on one property of a transaction tell the scenarios'
transactions from the legitimate transactions of their matched accounts?

Our first Worlds gave laundering away by its amount alone (one split near $2,000 separated
even the fixed templates). The probes ask that question of each property a rule writer
would try first: the amount, the hour of day, the weekday, and the paying account's age
(days since its first transaction in the World or the scenario, so an account opened for the
operation is young). Each probe is a depth-1 tree fit out of fold, with folds grouped by
scenario as in the leak check; its AUC's interval resamples scenarios (each with its
matched accounts' rows), not transactions, because a scenario's rows are not independent.
AUC 0.5 means the property alone tells nothing; the rule shows where the split falls and
how many rows of each side it puts below it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier

from experiments.effect.stats import Estimate

DAY = 86_400

#: probe name -> what it measures (the README and the report quote these)
PROBES = {
    "amount": "log of the amount in USD",
    "hour": "hour of day (0-24)",
    "weekday": "weekday (0 = Monday)",
    "payer_age_days": "days since the paying account's first transaction",
}


def first_seen(world, scen: pd.DataFrame) -> np.ndarray:
    """Each account's first transaction time (seconds): the World's whole ledger, and the
    scenario rows ``scen`` (whose new accounts have ids after the World's)."""
    led = world.ledger
    t = led.column("timestamp").to_numpy().astype("datetime64[s]").view(np.int64)
    size = max(world.n_accounts, int(scen[["src", "dst"]].to_numpy().max(initial=-1)) + 1)
    out = np.full(size, np.iinfo(np.int64).max, dtype=np.int64)
    for side in ("src_account", "dst_account"):
        np.minimum.at(out, led.column(side).to_numpy().astype(np.int64), t)
    for side in ("src", "dst"):
        np.minimum.at(out, scen[side].to_numpy(np.int64), scen["t"].to_numpy(np.int64))
    return out


def probe_features(rows: pd.DataFrame, seen: np.ndarray) -> pd.DataFrame:
    """The probes' properties of each row of a ledger frame (`detectors.realism.frame`)."""
    t = rows["t"].to_numpy(np.int64)
    return pd.DataFrame({
        "amount": np.log1p(rows["usd"].to_numpy(float)),
        "hour": (t % DAY) / 3600.0,
        "weekday": ((t // DAY + 3) % 7).astype(float),  # 1970-01-01 was a Thursday
        "payer_age_days": (t - seen[rows["src"].to_numpy(np.int64)]) / DAY,
    }, index=rows.index)


def _table_auc(t: np.ndarray) -> np.ndarray:
    """ROC AUC from counts ``t[..., label, value]`` of rows by label and (sorted) score value."""
    neg, pos = t[..., 0, :], t[..., 1, :]
    below = np.cumsum(neg, axis=-1) - neg
    num = (pos * (below + 0.5 * neg)).sum(-1)
    den = pos.sum(-1) * neg.sum(-1)
    return np.where(den > 0, num / np.maximum(den, 1), 0.5)


def cluster_auc(y: np.ndarray, p: np.ndarray, groups: np.ndarray, seed: int, resamples: int) -> Estimate:
    """AUC of scores ``p`` that take few values, with a 95% percentile interval that resamples
    ``groups`` (clusters of rows) with replacement; ``n`` is the number of groups with positives.

    A resample draws multinomial group counts and sums the groups' label-by-value tables,
    which is exactly resampling the groups' rows, at the cost of a matrix product.
    """
    _, k = np.unique(p, return_inverse=True)
    gid, g = np.unique(groups, return_inverse=True)
    table = np.zeros((len(gid), 2, k.max() + 1))
    np.add.at(table, (g, y.astype(int), k), 1)
    w = np.random.default_rng(seed).multinomial(len(gid), np.full(len(gid), 1 / len(gid)), size=resamples)
    boot = _table_auc(np.einsum("rg,gik->rik", w.astype(float), table))
    low, high = np.percentile(boot, [2.5, 97.5])
    n = int((table[:, 1, :].sum(-1) > 0).sum())
    return Estimate(float(_table_auc(table.sum(0))), float(low), float(high), n)


def _stump(seed: int) -> DecisionTreeClassifier:
    return DecisionTreeClassifier(max_depth=1, random_state=seed, class_weight="balanced")


def _rule(name: str, x: np.ndarray, y: np.ndarray, seed: int) -> str:
    tree = _stump(seed).fit(x[:, None], y).tree_
    if tree.node_count < 2:
        return "no split"
    thr = float(tree.threshold[0])
    below = x <= thr
    return (f"{name} <= {thr:.2f}: {below[y == 1].mean():.0%} of scenario rows, "
            f"{below[y == 0].mean():.0%} of legitimate rows")


def single_splits(x: pd.DataFrame, y: np.ndarray, groups: np.ndarray, seed: int, resamples: int) -> dict:
    """For each probe: the out-of-fold AUC of one split on that property alone (interval over
    scenarios) and the split a tree fit on all rows makes."""
    from sklearn.model_selection import GroupKFold

    folds = list(GroupKFold(n_splits=min(5, len(np.unique(groups)))).split(x, y, groups))
    out = {}
    for name in PROBES:
        v = x[name].to_numpy(float)
        p = np.zeros(len(y))
        for tr, te in folds:
            p[te] = _stump(seed).fit(v[tr, None], y[tr]).predict_proba(v[te, None])[:, 1]
        auc = cluster_auc(y, p, groups, seed, resamples)
        out[name] = {"auc": auc.as_dict(), "rule": _rule(name, v, y, seed)}
    return out


__all__ = ["PROBES", "cluster_auc", "first_seen", "probe_features", "single_splits"]
