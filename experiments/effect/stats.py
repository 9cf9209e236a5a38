"""Confidence intervals for the effect analysis, from `scipy.stats` (never hand-rolled).

Every figure of an experiment table is a point estimate with a 95% bootstrap interval
over scenarios, and the number of scenarios behind it. Money-weighted figures are ratios
of sums (e.g. alerted laundered value / laundered value), so scenarios are resampled with
their numerator and denominator paired.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import bootstrap, spearmanr


@dataclass(frozen=True)
class Estimate:
    """A point estimate, its 95% interval and the number of scenarios behind it."""

    value: float
    low: float
    high: float
    n: int

    def __str__(self) -> str:
        return f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}] (n={self.n})"

    def as_dict(self) -> dict:
        return {"value": self.value, "low": self.low, "high": self.high, "n": self.n}


def interval(data: tuple[np.ndarray, ...], stat, seed: int, resamples: int,
             vectorized: bool = False, paired: bool = True) -> tuple[float, float]:
    """The 95% percentile-bootstrap interval of ``stat`` over ``data`` (paired or not)."""
    res = bootstrap(
        data,
        stat,
        paired=paired,
        vectorized=vectorized,
        n_resamples=resamples,
        method="percentile",
        confidence_level=0.95,
        random_state=np.random.default_rng(seed),
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def ratio_of_sums(num, den, seed: int = 0, resamples: int = 2000) -> Estimate:
    """sum(num) / sum(den) with a bootstrap interval over the paired items.

    Raises:
        ValueError: the arrays differ in length, are empty, or the denominators sum to 0.
    """
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    if num.shape != den.shape or num.ndim != 1 or not len(num):
        raise ValueError("ratio_of_sums needs two non-empty arrays of the same length")
    if den.sum() <= 0:
        raise ValueError("ratio_of_sums: the denominators sum to 0")
    value = float(num.sum() / den.sum())
    if len(num) < 2 or np.all(num * den.sum() == den * num.sum()):  # one item, or every item at the ratio
        return Estimate(value, value, value, len(num))

    def stat(a, b, axis=-1):
        d = b.sum(axis=axis)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(d > 0, a.sum(axis=axis) / np.where(d > 0, d, 1), np.nan)

    low, high = interval((num, den), stat, seed, resamples, vectorized=True)
    return Estimate(value, low, high, len(num))


def ratio_difference(before, after, den, seed: int = 0, resamples: int = 2000) -> Estimate:
    """sum(after)/sum(den) - sum(before)/sum(den): the change of a ratio measured twice on the
    same items (e.g. money recall before and after retraining), items resampled together.

    Raises:
        ValueError: the arrays differ in length, are empty, or the denominators sum to 0.
    """
    before, after, den = (np.asarray(x, dtype=float) for x in (before, after, den))
    if not (before.shape == after.shape == den.shape) or before.ndim != 1 or not len(den):
        raise ValueError("ratio_difference needs three non-empty arrays of the same length")
    if den.sum() <= 0:
        raise ValueError("ratio_difference: the denominators sum to 0")
    value = float((after.sum() - before.sum()) / den.sum())
    if len(den) < 2 or np.all(after == before):
        return Estimate(value, value, value, len(den))

    def stat(a, b, d, axis=-1):
        s = d.sum(axis=axis)
        return np.where(s > 0, (b.sum(axis=axis) - a.sum(axis=axis)) / np.where(s > 0, s, 1), np.nan)

    low, high = interval((before, after, den), stat, seed, resamples, vectorized=True)
    return Estimate(value, low, high, len(den))


def ratio_gap(num1, den1, num2, den2, seed: int = 0, resamples: int = 2000) -> Estimate:
    """sum(num2)/sum(den2) - sum(num1)/sum(den1) for two independent groups of items (e.g.
    money recall of evolved elites minus that of round-0 drafts); each group is resampled
    on its own, an item's numerator and denominator together. ``n`` is the smaller group.

    Raises:
        ValueError: a group is empty or mismatched, or its denominators sum to 0.
    """
    g1, g2 = (tuple(np.asarray(x, dtype=float) for x in pair) for pair in ((num1, den1), (num2, den2)))
    for n, d in (g1, g2):
        if n.shape != d.shape or n.ndim != 1 or not len(n) or d.sum() <= 0:
            raise ValueError(
                "ratio_gap needs two non-empty groups of paired arrays with positive denominators"
            )
    value = float(g2[0].sum() / g2[1].sum() - g1[0].sum() / g1[1].sum())
    if min(len(g1[0]), len(g2[0])) < 2:
        return Estimate(value, value, value, min(len(g1[0]), len(g2[0])))

    def stat(i, j):
        i, j = i.astype(int), j.astype(int)
        d1, d2 = g1[1][i].sum(), g2[1][j].sum()
        return g2[0][j].sum() / d2 - g1[0][i].sum() / d1 if d1 > 0 and d2 > 0 else np.nan

    low, high = interval((np.arange(len(g1[0])), np.arange(len(g2[0]))), stat, seed, resamples, paired=False)
    return Estimate(value, low, high, min(len(g1[0]), len(g2[0])))


def mean(x, seed: int = 0, resamples: int = 2000) -> Estimate:
    """The mean with a bootstrap interval (a share when ``x`` holds 0s and 1s)."""
    x = np.asarray(x, dtype=float)
    return ratio_of_sums(x, np.ones_like(x), seed, resamples)


def spearman(x, y, seed: int = 0, resamples: int = 2000) -> Estimate:
    """Spearman's rank correlation with a bootstrap interval over the paired items.

    Raises:
        ValueError: fewer than 3 pairs, or the lengths differ.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape or len(x) < 3:
        raise ValueError("spearman needs at least 3 pairs of equal length")
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        raise ValueError("spearman: one of the variables is constant, so the correlation is undefined")
    value = float(spearmanr(x, y).statistic)

    def stat(a, b):
        return spearmanr(a, b).statistic if np.ptp(a) > 0 and np.ptp(b) > 0 else 0.0

    low, high = interval((x, y), stat, seed, resamples)
    return Estimate(value, low, high, len(x))


__all__ = ["interval", "Estimate", "mean", "ratio_difference", "ratio_gap", "ratio_of_sums", "spearman"]
