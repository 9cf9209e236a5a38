"""Temporal 60/20/20 split by time, with the visibility rules that keep it honest.

Training sees only training-period edges (and their labels). Validation scores its edges on
the graph of train + validation edges; test on the graph of every edge up to the end of
the test period. No label of a later period is ever used by an earlier phase.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detectors.data import TxData
from detectors.errors import DatasetError


@dataclass(frozen=True)
class TemporalSplit:
    """Boolean edge masks of the three periods, and the two cut times (seconds)."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    t_val: int
    t_test: int

    def visible(self, phase: str) -> np.ndarray:
        """Edges whose existence (not labels) a phase may use: train, val or test."""
        if phase == "train":
            return self.train
        if phase == "val":
            return self.train | self.val
        if phase == "test":
            return self.train | self.val | self.test
        raise ValueError(f"unknown phase '{phase}' (train, val or test)")


def temporal_split(data: TxData, fractions: tuple[float, float, float] = (0.6, 0.2, 0.2)) -> TemporalSplit:
    """Cut the period at the 60% and 80% quantiles of transaction time.

    Edges at the same minute as a cut go to the later period, so no training edge is at or
    after the first validation time.

    Raises:
        DatasetError: a period has no positive label (evaluation would be meaningless).
    """
    if abs(sum(fractions) - 1.0) > 1e-9:
        raise ValueError("split fractions must sum to 1")
    t = data.t
    t_val = int(np.quantile(t, fractions[0], method="lower"))
    t_test = int(np.quantile(t, fractions[0] + fractions[1], method="lower"))
    if t_test <= t_val:
        t_test = t_val + 60
    train = t < t_val
    val = (t >= t_val) & (t < t_test)
    test = t >= t_test
    for name, m in (("train", train), ("validation", val), ("test", test)):
        if not data.y[m].any():
            raise DatasetError(f"the {name} period has no laundering transactions; a temporal "
                               "split needs positives in every period (inject more scenarios)")
    return TemporalSplit(train, val, test, t_val, t_test)
