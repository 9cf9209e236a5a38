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

from experiments.effect.stats import Estimate, interval
from graph_schema.compiler import CompiledScenario
from graph_schema.reference import usd_per_unit
from graph_schema.tables import CURRENCIES
from graph_schema.world import World

CHANNELS = ["ACH", "Wire", "Credit Card", "Cash", "Cheque", "Reinvestment", "Bitcoin"]
TX_FEATURES = ["log_amount", "round", "hour_sin", "hour_cos", "weekday", "cross_currency", "channel"]


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


def _frame(rows, n_base: int, id_offset: int) -> pd.DataFrame:
    """Ledger rows as a frame in US dollars; new (negative) accounts get ids after ``n_base + id_offset``."""
    rate = dict(zip(CURRENCIES, usd_per_unit(), strict=True))
    df = pd.DataFrame({
        "t": rows.column("timestamp").to_numpy().astype("datetime64[s]").view(np.int64),
        "src": rows.column("src_account").to_numpy().astype(np.int64),
        "dst": rows.column("dst_account").to_numpy().astype(np.int64),
        "amount": rows.column("amount_paid").to_numpy(),
        "pay": rows.column("payment_currency").to_pylist(),
        "recv": rows.column("receiving_currency").to_pylist(),
        "channel": rows.column("channel").to_pylist(),
        "laundering": rows.column("is_laundering").to_numpy(zero_copy_only=False).astype(bool),
    })
    for c in ("src", "dst"):
        neg = df[c] < 0
        df.loc[neg, c] = n_base + id_offset - df.loc[neg, c] - 1
    df["usd"] = df["amount"] * df["pay"].map(lambda c: rate[c])
    return df


def _tx_features(df: pd.DataFrame) -> pd.DataFrame:
    hours = (df["t"] % 86_400) / 3600.0
    return pd.DataFrame(
        {
            "log_amount": np.log1p(df["usd"]),
            "round": (np.mod(df["amount"], 100) == 0).astype(float),
            "hour_sin": np.sin(2 * np.pi * hours / 24),
            "hour_cos": np.cos(2 * np.pi * hours / 24),
            "weekday": ((df["t"] // 86_400 + 3) % 7).astype(float),  # 1970-01-01 was a Thursday
            "cross_currency": (df["pay"] != df["recv"]).astype(float),
            "channel": df["channel"]
            .map({c: i for i, c in enumerate(CHANNELS)})
            .fillna(len(CHANNELS))
            .astype(float),
        },
        index=df.index,
    )


def _account_features(df: pd.DataFrame, units: pd.DataFrame, span: float) -> pd.DataFrame:
    """One row of behaviour features per unit (an account id, seen in the frame ``df``)."""
    tx = _tx_features(df)
    parts = []
    for side, other in (("src", "dst"), ("dst", "src")):
        p = pd.DataFrame(
            {
                "account": df[side],
                "other": df[other],
                "usd": df["usd"],
                "t": df["t"],
                "out": side == "src",
                **{k: tx[k] for k in ("round", "hour_sin", "hour_cos", "cross_currency", "channel")},
            }
        )
        p["weekend"] = (tx["weekday"] >= 5).astype(float)
        parts.append(p)
    inc = pd.concat(parts, ignore_index=True)
    inc = inc[inc["account"].isin(units["account"])]
    inc["log_usd"] = np.log1p(inc["usd"])
    g = inc.groupby("account")
    f = pd.DataFrame(
        {
            "n_out": g["out"].sum(),
            "n_in": g["out"].count() - g["out"].sum(),
            "mean_log_usd": g["log_usd"].mean(),
            "std_log_usd": g["log_usd"].std().fillna(0.0),
            "round": g["round"].mean(),
            "hour_sin": g["hour_sin"].mean(),
            "hour_cos": g["hour_cos"].mean(),
            "weekend": g["weekend"].mean(),
            "counterparties": g["other"].nunique(),
            "cross_currency": g["cross_currency"].mean(),
            "span": (g["t"].max() - g["t"].min()) / span,
        }
    )
    sums = (
        inc.assign(o=inc["usd"] * inc["out"], i=inc["usd"] * ~inc["out"]).groupby("account")[["o", "i"]].sum()
    )
    f["log_sum_out"], f["log_sum_in"] = np.log1p(sums["o"]), np.log1p(sums["i"])
    f["pass_through"] = np.minimum(sums["o"], sums["i"]) / np.maximum(np.maximum(sums["o"], sums["i"]), 1e-9)
    gaps = (
        inc.sort_values("t")
        .groupby("account")["t"]
        .apply(lambda s: np.median(np.diff(s.values)) if len(s) > 1 else span)
    )
    f["log_gap_h"] = np.log1p(gaps / 3600.0)
    for i, c in enumerate(CHANNELS):
        f[f"ch_{c}"] = (inc["channel"] == i).groupby(inc["account"]).mean()
    for c in ("n_out", "n_in", "counterparties"):
        f[c] = np.log1p(f[c].astype(float))
    return units.join(f, on="account").fillna(0.0)


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
    base = _frame(world.ledger.filter(pa_mask(ts, window)), n, 0)
    u, scen = _matched_units(world, base, compiled, k, np.random.default_rng(seed))
    hijacked = set(u.loc[(u["label"] == 1) & (u["account"] < n), "account"])
    background = base[
        base["src"].isin(hijacked | set(u.loc[u["label"] == 0, "account"]))
        | base["dst"].isin(hijacked | set(u.loc[u["label"] == 0, "account"]))
    ]
    span = float(window[1] - window[0])
    feats = _account_features(pd.concat([background, scen], ignore_index=True), u, span)
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
        df = _frame(c.rows, n, offset)
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
    tx = pd.concat([_tx_features(scen), _tx_features(legit)], ignore_index=True)
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
