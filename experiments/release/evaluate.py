"""`redledger evaluate`: a detector's scores of a release's test period, per subset and typology.

For a group of test scenarios (all, a subset, a typology) the positives are the laundering
rows of those scenarios and the negatives every legitimate test transaction, so that each
figure answers "how does this detector do on this kind of laundering, among all the
legitimate traffic it would alert on".

- PR-AUC: average precision (as scikit-learn computes it);
- minority-class F1: at the threshold that maximises F1 on validation when the file scores
  validation, else at score >= 0.5;
- recall at an alert budget b: share of the group's laundering rows among the top b of all
  test-period scores;
- net funds in cases with no alert at b: funds placed by the group's scenarios none of whose
  rows is alerted, over all their funds.

95% intervals are percentile bootstraps over scenarios (negatives held fixed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from experiments.release.predictions import Scored


class ReleaseError(ValueError):
    """The directory is not a readable release (one line)."""


@dataclass
class Truth:
    slug: str
    digest: str  # the release's data digest (what a predictions file names)
    budgets: list[float]
    resamples: int
    test_ids: np.ndarray
    y: np.ndarray  # laundering label per test row
    scenario: np.ndarray  # placement id per test row ("" for background)
    val_ids: np.ndarray
    val_y: np.ndarray
    cases: dict[str, dict]  # placement id -> subset, typology, funds_usd (test placements)


def load_truth(release: Path) -> Truth:
    """What evaluation needs from a release directory.

    Raises:
        ReleaseError: release.json or a data file is missing or unreadable.
    """
    try:
        meta = json.loads((release / "release.json").read_text(encoding="utf-8"))
        test = pq.read_table(release / "data" / "test.parquet",
                             columns=["tx_id", "is_laundering", "scenario_id"])
        val = pq.read_table(release / "data" / "validation.parquet", columns=["tx_id", "is_laundering"])
        recs = [json.loads(line) for line in (release / "scenarios.jsonl").read_text().splitlines()]
    except (OSError, ValueError) as err:
        raise ReleaseError(f"{release}: not a readable redledger release ({err})".splitlines()[0]) from None
    cases = {r["placement_id"]: {k: r[k] for k in ("subset", "typology", "funds_usd")}
             for r in recs if r["split"] == "test"}
    return Truth(meta["slug"], meta["data_digest"], meta["budgets"], meta["resamples"],
                 test.column("tx_id").to_numpy(), test.column("is_laundering").to_numpy(zero_copy_only=False),
                 np.asarray(test.column("scenario_id").fill_null("").to_pylist(), dtype=object),
                 val.column("tx_id").to_numpy(), val.column("is_laundering").to_numpy(zero_copy_only=False),
                 cases)


def average_precision(pos: np.ndarray, weights: np.ndarray, neg_sorted: np.ndarray) -> float:
    """AP of weighted positives against sorted negatives (ties count as one threshold)."""
    ranked = _Ranked.of(pos, neg_sorted)
    return ranked.ap(weights[ranked.order])


@dataclass
class _Ranked:
    """Positives sorted once, with what AP needs of each: resampling changes only weights."""

    order: np.ndarray
    left: np.ndarray  # index of the first positive tied with each (in sorted order)
    fp: np.ndarray  # negatives at or above each positive's score

    @classmethod
    def of(cls, pos: np.ndarray, neg_sorted: np.ndarray) -> _Ranked:
        order = np.argsort(pos, kind="stable")
        ps = pos[order]
        return cls(order, np.searchsorted(ps, ps, "left"),
                   len(neg_sorted) - np.searchsorted(neg_sorted, ps, "left"))

    def ap(self, w_sorted: np.ndarray) -> float:
        cw = np.concatenate([[0.0], np.cumsum(w_sorted)])
        tp = cw[-1] - cw[self.left]
        den = tp + self.fp  # 0 only where every positive at or above is resampled away (weight 0)
        prec = np.divide(tp, den, out=np.zeros_like(tp), where=den > 0)
        return float((w_sorted * prec).sum() / cw[-1])


def best_f1_threshold(scores: np.ndarray, y: np.ndarray) -> float:
    """The score threshold (alert at >=) that maximises F1 on these labels."""
    order = np.argsort(-scores, kind="stable")
    s, lab = scores[order], y[order].astype(float)
    tp, k = np.cumsum(lab), np.arange(1, len(s) + 1)
    last = np.r_[s[1:] != s[:-1], True]  # a threshold sits after the last of tied scores
    f1 = np.where(last, 2 * tp / (k + lab.sum()), -1.0)
    return float(s[int(np.argmax(f1))])


class _Group:
    """A group's scenarios, with every per-scenario count that does not depend on resampling."""

    def __init__(self, pos: list[np.ndarray], funds: np.ndarray, neg_sorted: np.ndarray,
                 thr: dict[str, float]):
        self.rows = np.array([len(p) for p in pos], dtype=float)
        self.funds = funds
        top = np.array([p.max() for p in pos])
        self.hits = {k: np.array([(p >= t).sum() for p in pos], dtype=float) for k, t in thr.items()}
        self.quiet = {k: (top < t).astype(float) for k, t in thr.items()}
        self.fp = {k: float(len(neg_sorted) - np.searchsorted(neg_sorted, t, "left")) for k, t in thr.items()}
        owner = np.repeat(np.arange(len(pos)), self.rows.astype(int))
        self.ranked = _Ranked.of(np.concatenate(pos), neg_sorted)
        self.owner = owner[self.ranked.order]

    def metrics(self, w: np.ndarray) -> dict[str, float]:
        out = {"pr_auc": self.ranked.ap(w[self.owner])}
        pos = (w * self.rows).sum()
        for k, hit in self.hits.items():
            tp = (w * hit).sum()
            if k == "f1":
                out["f1"] = float(2 * tp / (2 * tp + self.fp[k] + (pos - tp)))
                continue
            out[f"recall@{k}"] = float(tp / pos)
            money = w * self.funds
            out[f"unalerted_funds@{k}"] = float((money * self.quiet[k]).sum() / money.sum())
        return out


def _estimate(g: _Group, seed: int, resamples: int) -> dict:
    n = len(g.rows)
    point = g.metrics(np.ones(n))
    rng = np.random.default_rng(seed)
    draws = [g.metrics(np.bincount(rng.integers(0, n, n), minlength=n).astype(float))
             for _ in range(resamples if n > 1 else 0)]
    out = {}
    for k, v in point.items():
        lo, hi = (np.percentile([d[k] for d in draws], [2.5, 97.5]) if draws else (np.nan, np.nan))
        out[k] = {"value": v, "low": float(lo), "high": float(hi)}
    return out


def evaluate(truth: Truth, scored: Scored, seed: int = 0, resamples: int | None = None) -> dict:
    """Every figure of the predictions, per group (all, each test subset, each typology)."""
    s, y = scored.test, truth.y.astype(bool)
    thr = {f"{b:g}": float(np.quantile(s, 1 - b)) for b in truth.budgets}
    if scored.validation is not None:
        thr["f1"], rule = best_f1_threshold(scored.validation, truth.val_y.astype(bool)), "validation"
    else:
        thr["f1"], rule = 0.5, "0.5"
    neg_sorted = np.sort(s[~y])
    ids = truth.scenario
    rows_of: dict[str, list[int]] = {}
    for i in np.flatnonzero(y):
        rows_of.setdefault(ids[i], []).append(i)
    groups: dict[str, list[str]] = {}
    for pid in sorted(truth.cases):
        c = truth.cases[pid]
        groups.setdefault(f"subset:{c['subset']}", []).append(pid)
        groups.setdefault(f"typology:{c['typology']}", []).append(pid)
    groups = {"all": sorted(truth.cases), **{k: groups[k] for k in sorted(groups)}}
    out = {"release": truth.slug, "data_digest": truth.digest, "f1_threshold_from": rule,
           "thresholds": thr, "groups": {}}
    for name, pids in groups.items():
        pids = [p for p in pids if p in rows_of]
        if not pids:
            continue
        g = _Group([s[rows_of[p]] for p in pids], np.array([truth.cases[p]["funds_usd"] for p in pids]),
                   neg_sorted, thr)
        est = _estimate(g, seed, resamples or truth.resamples)
        out["groups"][name] = {"scenarios": len(pids), "rows": int(g.rows.sum()), **est}
    return out


__all__ = ["ReleaseError", "Truth", "average_precision", "best_f1_threshold", "evaluate", "load_truth"]
