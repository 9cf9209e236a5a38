"""Classic AML rules as a detector: structuring under a threshold, rapid pass-through, and
fan-in / fan-out bursts. The score is the weighted number of rules a transaction trips;
only the decision threshold is learned (on validation)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from detectors.base import Detector, register
from detectors.data import TxData
from detectors.graph_features import window_sums
from detectors.metrics import best_threshold
from detectors.split import TemporalSplit
from graph_schema.formats import write_text_atomic

HOUR = 3_600


@register("rules")
class RuleDetector(Detector):
    """Rule hits, each in [0, 1], summed."""

    name = "rules"

    def __init__(self, threshold_usd: float = 10_000.0, near: float = 0.8, burst: int = 5,
                 window_h: int = 72, pass_through: float = 0.7, min_amount: float = 1_000.0):
        self.p = dict(threshold_usd=threshold_usd, near=near, burst=burst, window_h=window_h,
                      pass_through=pass_through, min_amount=min_amount)

    def rule_hits(self, data: TxData) -> dict[str, np.ndarray]:
        p = self.p
        src, dst, t, amt = data.src, data.dst, data.t, data.amount_usd
        w = p["window_h"] * HOUR
        near = (amt >= p["near"] * p["threshold_usd"]) & (amt < p["threshold_usd"])
        # structuring: several near-threshold movements through one account within the window
        n_src, _ = window_sums(src[near], t[near], amt[near], src, t, -w, w)
        n_dst, _ = window_sums(dst[near], t[near], amt[near], dst, t, -w, w)
        structuring = near & ((n_src >= 2) | (n_dst >= 2))
        # rapid pass-through: the payee sends most of it on within 48 h
        _, out_next = window_sums(src, t, amt, dst, t, 1, 48 * HOUR)
        rapid = (amt >= p["min_amount"]) & (out_next >= p["pass_through"] * amt)
        big = amt >= p["min_amount"]
        b = 24 * HOUR
        fan_out, _ = window_sums(src[big], t[big], amt[big], src, t, -b, b)
        fan_in, _ = window_sums(dst[big], t[big], amt[big], dst, t, -b, b)
        # a burst is many large payments in the window *and* far above the account's own pace
        period = max(float(t.max() - t.min()), float(2 * b))
        n = data.n_nodes
        pace_out = np.bincount(src[big], minlength=n)[src] * (2 * b) / period
        pace_in = np.bincount(dst[big], minlength=n)[dst] * (2 * b) / period
        return {
            "structuring": structuring.astype(float),
            "pass_through": rapid.astype(float),
            "fan_out_burst": (big & (fan_out >= p["burst"]) & (fan_out >= 3 * pace_out)).astype(float),
            "fan_in_burst": (big & (fan_in >= p["burst"]) & (fan_in >= 3 * pace_in)).astype(float),
        }

    def fit(self, data: TxData, split: TemporalSplit, progress=None) -> RuleDetector:
        seen = split.visible("val")
        s = self.score(data.subset(seen))[split.val[seen]]
        self.threshold, _ = best_threshold(data.y[split.val], s)
        return self

    def score(self, data: TxData) -> np.ndarray:
        hits = self.rule_hits(data)
        # small tie-breaker by amount so that the alert budget ranks within a hit count
        return sum(hits.values()) + 1e-3 * np.log1p(data.amount_usd) / 20

    def save(self, path: str | Path) -> None:
        Path(path).mkdir(parents=True, exist_ok=True)
        write_text_atomic(Path(path) / "detector.json", json.dumps(
            {"kind": "rules", "threshold": self.threshold, "params": self.p}, indent=1))

    @classmethod
    def load(cls, path: str | Path) -> RuleDetector:
        meta = json.loads((Path(path) / "detector.json").read_text())
        det = cls(**meta["params"])
        det.threshold = meta["threshold"]
        return det
