"""Realism judged without the loop's own critic: a classifier two-sample test (C2ST) in World B.

A LightGBM discriminator tries to tell the accounts of scenarios (compiled into B's test
period) from matched legitimate accounts of B: for every scenario account, up to ``k``
background accounts of the same profile that are active in the same period and take no
part in any laundering. Features describe each account's behaviour in that period
(counts, sums and spread of amounts, round amounts, hours, weekends, counterparties,
cross-currency share, channels, pass-through, gaps, the active span). Folds are grouped by
scenario, so the discriminator is always tested on operations it never saw. AUC 0.5 means
indistinguishable; the interval resamples accounts (scipy.stats.bootstrap).

The leak check asks the same of single transactions with a depth-3 decision tree: a high
AUC names a one-transaction tell (e.g. an amount band or an hour) that a rule would catch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold
from sklearn.tree import DecisionTreeClassifier, export_text

from detectors.realism import TX_FEATURES, account_features, frame, tx_features
from experiments.effect.stats import Estimate, interval
from graph_schema.compiler import CompiledScenario
from graph_schema.world import World


@dataclass(frozen=True)
class RealismResult:
    """The C2ST and the leak check for one group of scenarios."""

    auc: Estimate  # account-level discriminator, out of fold
    leak_auc: Estimate  # depth-3 tree on single transactions, out of fold
    leak_rule: str  # the tree's first split
    scenario_accounts: int
    matched_accounts: int

    def as_dict(self) -> dict:
        return {"auc": self.auc.as_dict(), "leak_auc": self.leak_auc.as_dict(), "leak_rule": self.leak_rule,
                "scenario_accounts": self.scenario_accounts, "matched_accounts": self.matched_accounts}


def _auc_interval(y: np.ndarray, p: np.ndarray, seed: int, resamples: int) -> Estimate:
    value = float(roc_auc_score(y, p))

    def stat(a, b):
        return roc_auc_score(a, b) if 0 < a.sum() < len(a) else 0.5

    low, high = interval((y, p), stat, seed, resamples)
    return Estimate(value, low, high, int(y.sum()))


def _out_of_fold(model, x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> np.ndarray:
    p = np.zeros(len(y))
    for tr, te in GroupKFold(n_splits=min(5, len(np.unique(groups)))).split(x, y, groups):
        p[te] = model().fit(x[tr], y[tr]).predict_proba(x[te])[:, 1]
    return p


def c2st(
    world: World,
    window: tuple[int, int],
    compiled: list[CompiledScenario],
    k: int = 3,
    seed: int = 0,
    resamples: int = 1000,
) -> RealismResult:
    """The C2ST and the leak check for ``compiled`` (scenarios compiled into ``window`` of ``world``).

    Raises:
        ValueError: fewer than 2 scenarios (the folds are grouped by scenario).
    """
    from lightgbm import LGBMClassifier

    if len(compiled) < 2:
        raise ValueError("c2st needs at least 2 compiled scenarios")
    n = world.n_accounts
    ts = world.ledger.column("timestamp").to_numpy().astype("datetime64[s]").view(np.int64)
    base = frame(world.ledger.filter(pa_mask(ts, window)), n, 0)
    u, scen = _matched_units(world, base, compiled, k, np.random.default_rng(seed))
    hijacked = set(u.loc[(u["label"] == 1) & (u["account"] < n), "account"])
    background = base[
        base["src"].isin(hijacked | set(u.loc[u["label"] == 0, "account"]))
        | base["dst"].isin(hijacked | set(u.loc[u["label"] == 0, "account"]))
    ]
    span = float(window[1] - window[0])
    feats = account_features(pd.concat([background, scen], ignore_index=True), u, span)
    cols = [c for c in feats.columns if c not in ("account", "label", "group", "profile")]
    x, y, groups = feats[cols].to_numpy(float), feats["label"].to_numpy(int), feats["group"].to_numpy(int)
    p = _out_of_fold(
        lambda: LGBMClassifier(
            n_estimators=200,
            num_leaves=15,
            min_child_samples=5,
            learning_rate=0.05,
            verbose=-1,
            random_state=seed,
            n_jobs=1,
        ),
        x,
        y,
        groups,
    )
    auc = _auc_interval(y, p, seed, resamples)
    tx_auc, rule = _leak_check(base, u, scen, compiled, seed, resamples)
    return RealismResult(auc, tx_auc, rule, int(y.sum()), int((y == 0).sum()))


def _matched_units(
    world: World, base: pd.DataFrame, compiled: list[CompiledScenario], k: int, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The scenarios' accounts (label 1) and up to ``k`` untainted background accounts of the
    same profile per scenario account (label 0), grouped by scenario; and the scenarios' rows."""
    n = world.n_accounts
    profiles = np.asarray(world.accounts.column("profile").to_pylist(), dtype=object)
    tainted = set(base.loc[base["laundering"], "src"]) | set(base.loc[base["laundering"], "dst"])
    scen_frames, units, offset = [], [], 0
    for gi, c in enumerate(compiled):
        df = frame(c.rows, n, offset)
        new_profiles = c.new_accounts.column("profile").to_pylist()
        for acc in sorted(set(c.entity_accounts.values())):
            aid = acc if acc >= 0 else n + offset - acc - 1
            prof = profiles[acc] if acc >= 0 else new_profiles[-acc - 1]
            units.append((aid, 1, gi, prof))
        offset += len(new_profiles)
        scen_frames.append(df)
        tainted |= {a for a in c.entity_accounts.values() if a >= 0}
    active = pd.unique(np.concatenate([base["src"].values, base["dst"].values]))
    # sorted: the draws must not depend on the process's string hashing (the same cell, the same numbers)
    pool = {
        p: [a for a in active if a < n and profiles[a] == p and a not in tainted]
        for p in sorted(set(profiles))
    }
    for p in pool.values():
        rng.shuffle(p)
    taken = {p: 0 for p in pool}
    for _aid, _, gi, prof in list(units):
        got = pool.get(prof, [])[taken.get(prof, 0) : taken.get(prof, 0) + k]
        taken[prof] = taken.get(prof, 0) + len(got)
        units.extend((a, 0, gi, prof) for a in got)
    return pd.DataFrame(units, columns=["account", "label", "group", "profile"]), pd.concat(
        scen_frames, ignore_index=True
    )


def _leak_check(
    base: pd.DataFrame,
    u: pd.DataFrame,
    scen: pd.DataFrame,
    compiled: list[CompiledScenario],
    seed: int,
    resamples: int,
) -> tuple:
    """The leak check: a depth-3 tree on single transactions, the scenarios' against the
    matched accounts'; its AUC interval and its first split."""
    legit = base[base["src"].isin(set(u.loc[u["label"] == 0, "account"])) & ~base["laundering"]]
    tx = pd.concat([tx_features(scen), tx_features(legit)], ignore_index=True)
    ty = np.r_[np.ones(len(scen), int), np.zeros(len(legit), int)]
    acc_group = dict(zip(u.loc[u["label"] == 0, "account"], u.loc[u["label"] == 0, "group"], strict=False))
    tg = np.r_[
        np.repeat(np.arange(len(compiled)), [c.rows.num_rows for c in compiled]),
        legit["src"].map(acc_group).to_numpy(int),
    ]
    def tree():
        return DecisionTreeClassifier(max_depth=3, random_state=seed, class_weight="balanced")

    tp = _out_of_fold(tree, tx[TX_FEATURES].to_numpy(float), ty, tg)
    rule = export_text(
        tree().fit(tx[TX_FEATURES].to_numpy(float), ty), feature_names=TX_FEATURES
    ).splitlines()[0]
    return _auc_interval(ty, tp, seed, resamples), rule.strip("|- ").strip()


def pa_mask(ts: np.ndarray, window: tuple[int, int]):
    import pyarrow as pa

    return pa.array((ts >= window[0]) & (ts < window[1]))


__all__ = ["RealismResult", "c2st"]
