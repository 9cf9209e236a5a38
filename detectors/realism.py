"""Behaviour features that tell laundering accounts from legitimate ones: the one definition
shared by the realism discriminator of the loop and the effect analysis's C2ST
(`experiments/effect/realism.py`).

`frame` turns ledger rows into a frame in US dollars; `tx_features` describes single
transactions (amount, round amount, hour, weekday, cross-currency, channel);
`account_features` describes each account's behaviour over a period (counts, sums and
spread of amounts, round amounts, hours, weekends, counterparties, cross-currency share,
channels, pass-through, gaps, the active span).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from graph_schema.reference import usd_per_unit
from graph_schema.tables import CURRENCIES

CHANNELS = ["ACH", "Wire", "Credit Card", "Cash", "Cheque", "Reinvestment", "Bitcoin"]
TX_FEATURES = ["log_amount", "round", "hour_sin", "hour_cos", "weekday", "cross_currency", "channel"]


def _codes(column, values: list[str]) -> np.ndarray:
    """A string (or dictionary) column as int8 indices into ``values`` (``len(values)`` if absent)."""
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if not pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_encode()
    lut = np.array([values.index(v) if v in values else len(values) for v in arr.dictionary.to_pylist()]
                   + [len(values)], dtype=np.int8)
    return lut[arr.indices.to_numpy(zero_copy_only=False)] if len(arr) else np.zeros(0, np.int8)


def frame(rows, n_base: int, id_offset: int) -> pd.DataFrame:
    """Ledger rows as a frame in US dollars; new (negative) accounts get ids after ``n_base + id_offset``.

    Currencies and channels are kept as small integer codes (indices into CURRENCIES and
    CHANNELS), so a frame of a whole ledger costs a few bytes per row for them, not a string each.
    """
    df = pd.DataFrame({
        "t": rows.column("timestamp").to_numpy().astype("datetime64[s]").view(np.int64),
        "src": rows.column("src_account").to_numpy().astype(np.int64),
        "dst": rows.column("dst_account").to_numpy().astype(np.int64),
        "amount": rows.column("amount_paid").to_numpy(),
        "pay": _codes(rows.column("payment_currency"), CURRENCIES),
        "recv": _codes(rows.column("receiving_currency"), CURRENCIES),
        "channel": _codes(rows.column("channel"), CHANNELS),
        "laundering": rows.column("is_laundering").to_numpy(zero_copy_only=False).astype(bool),
    })
    for c in ("src", "dst"):
        neg = df[c] < 0
        df.loc[neg, c] = n_base + id_offset - df.loc[neg, c] - 1
    df["usd"] = df["amount"] * usd_per_unit()[df["pay"].to_numpy()]
    return df


def tx_features(df: pd.DataFrame) -> pd.DataFrame:
    hours = (df["t"] % 86_400) / 3600.0
    return pd.DataFrame(
        {
            "log_amount": np.log1p(df["usd"]),
            "round": (np.mod(df["amount"], 100) == 0).astype(float),
            "hour_sin": np.sin(2 * np.pi * hours / 24),
            "hour_cos": np.cos(2 * np.pi * hours / 24),
            "weekday": ((df["t"] // 86_400 + 3) % 7).astype(float),  # 1970-01-01 was a Thursday
            "cross_currency": (df["pay"] != df["recv"]).astype(float),
            "channel": df["channel"].astype(float),
        },
        index=df.index,
    )


def account_features(df: pd.DataFrame, units: pd.DataFrame, span: float) -> pd.DataFrame:
    """One row of behaviour features per unit (an account id, seen in the frame ``df``)."""
    tx = tx_features(df)
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


def rank_among(peers: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Each score of ``x``'s rank among ``peers`` (sorted): the share of them below it, ties
    counting half. The mean over a scenario's accounts of their rank among matched legitimate
    peers is the C2ST's AUC within profiles, and the realism discriminator's judgement."""
    below, upto = np.searchsorted(peers, x, "left"), np.searchsorted(peers, x, "right")
    return (below + upto) / (2.0 * len(peers))


def matched_auc(y: np.ndarray, p: np.ndarray, strata: np.ndarray) -> float:
    """The AUC within strata: the mean, over positives (``y`` 1), of their score's rank among
    the negatives of their own stratum (all negatives for a stratum that has none). With one
    stratum it is the ordinary AUC; with profiles as strata, a classifier that only tells one
    profile from another (when positives and controls mix profiles in different shares) gains
    nothing. 0.5 without positives or negatives."""
    neg = y == 0
    if neg.all() or not neg.any():
        return 0.5
    everyone = np.sort(p[neg])
    pos = np.flatnonzero(~neg)
    ranks = np.empty(len(pos))
    for s in np.unique(strata[pos]):
        peers = np.sort(p[neg & (strata == s)])
        m = strata[pos] == s
        ranks[m] = rank_among(peers if len(peers) else everyone, p[pos[m]])
    return float(ranks.mean())


__all__ = ["CHANNELS", "TX_FEATURES", "account_features", "frame", "matched_auc", "rank_among", "tx_features"]
