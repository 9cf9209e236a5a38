"""The headline of the effect analysis: **net funds in cases with no alert**, funds-matched.

An investigator opens a case on a single alert, so the AML question is how much of the
placed money sits in cases that raise none. For one detector and alert budget ``b`` (a
share of World B's test-period transactions), a scenario's *unalerted share* is the share
of its placements (`HeldOutConfig.placements`: other times and accounts) in which no
transaction scores at or above the budget's threshold. A group's figure is

    sum(funds placed x unalerted share) / sum(funds placed)

and "mean over detectors" averages a scenario's unalerted share over the detectors first.

**Money matching (stratified by volume band).** Elites and drafts differ in size, and size
alone changes how often a case alerts. Scenarios fall in volume bands of funds placed (the
loop's archive bins, `loop.archive.volume_bins`, US dollars). Two groups are compared band
by band, over the bands where both hold at least `heldout.band_min` scenarios, and the
bands get equal weights: a group's matched figure is the mean of its band figures, and a
gap is the mean of the band gaps. Scenarios are never rescaled: a scenario laundering
$50k through household accounts is measured as it was designed.

Intervals: 95% percentile bootstrap (scipy) with the scenario as the unit, resampled
within its group and band (a stratified bootstrap: each group-band is its own sample).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from experiments.effect.stats import Estimate, interval
from orchestrator.engine import volume_band


@dataclass(frozen=True)
class Group:
    """The scenarios of one group as the headline sees them."""

    funds: np.ndarray  # funds placed per scenario, US dollars
    unalerted: np.ndarray  # unalerted share per scenario (0..1)
    bands: np.ndarray  # volume band per scenario

    @property
    def n(self) -> int:
        return len(self.funds)


def unalerted_share(record: dict, threshold: float) -> float:
    """The share of a scenario's placements in which no transaction reaches ``threshold``."""
    tops = record.get("max_scores") or []
    if not tops:
        raise ValueError(f"scenario {record['id']}: no placements scored (a record from before the headline)")
    return float(np.mean([t < threshold for t in tops]))


def group_of(per_detector: list[list[dict]], thresholds: list[float], bins: list[float]) -> Group:
    """A group from its records under each detector (the same scenarios in the same order)
    and each detector's threshold: unalerted shares averaged over the detectors."""
    if not per_detector or not per_detector[0]:
        return Group(np.zeros(0), np.zeros(0), np.zeros(0, dtype=object))
    first = per_detector[0]
    for recs in per_detector[1:]:
        if [r["id"] for r in recs] != [r["id"] for r in first]:
            raise ValueError("headline: the detectors' records are not of the same scenarios")
    shares = [[unalerted_share(r, t) for r in recs] for recs, t in zip(per_detector, thresholds, strict=True)]
    un = np.mean(shares, axis=0)
    funds = np.array([r["funds_usd"] for r in first], dtype=float)
    return Group(funds, un, np.array([volume_band(f, bins) for f in funds], dtype=object))


def _shared_bands(groups: list[Group], band_min: int) -> list[str]:
    bands = sorted({b for g in groups for b in g.bands}, key=lambda b: int(b[1:]))
    return [b for b in bands if all(int((g.bands == b).sum()) >= band_min for g in groups)]


def _samples(groups: list[Group], bands: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(funds, unalerted) of each group in each band: group-major, band-minor."""
    return [(g.funds[g.bands == b], g.unalerted[g.bands == b]) for g in groups for b in bands]


def _matched(parts: list[tuple[np.ndarray, np.ndarray]], idx: list[np.ndarray], weights: list[float]):
    """sum_k weights[k] * (funds-weighted unalerted share of part k at the resampled ``idx``)."""
    total = 0.0
    for (f, u), i, w in zip(parts, idx, weights, strict=True):
        i = np.asarray(i).astype(int)
        total = total + w * (f[i] * u[i]).sum(axis=-1) / f[i].sum(axis=-1)
    return total


def matched(groups: list[Group], signs: list[float], band_min: int, seed: int = 0,
            resamples: int = 2000) -> dict:
    """The funds-matched figure ``sum_g signs[g] * (group g's mean over shared bands)``: one
    group's level with ``signs = [1]``, a gap (second minus first) with ``[-1, 1]``.

    Returns {"estimate": Estimate or None, "bands": shared bands, "n": scenarios per group in
    them, "why": why there is no estimate}. ``Estimate.n`` is the smallest group's count.
    """
    bands = _shared_bands(groups, band_min)
    n = [int(np.isin(g.bands, bands).sum()) for g in groups]
    if not bands:
        return {"estimate": None, "bands": [], "n": n,
                "why": f"no volume band holds {band_min} or more scenarios of every group"}
    parts = _samples(groups, bands)
    weights = [s / len(bands) for s in signs for _ in bands]
    value = float(_matched(parts, [np.arange(len(f)) for f, _ in parts], weights))
    if all(np.ptp(u) == 0 for _, u in parts):  # every resample gives the same figure
        est = Estimate(value, value, value, min(n))
    else:
        low, high = interval(
            tuple(np.arange(len(f)) for f, _ in parts),
            lambda *idx, axis=-1: _matched(parts, list(idx), weights),
            seed,
            resamples,
            vectorized=True,
            paired=False,
        )
        est = Estimate(value, low, high, min(n))
    return {"estimate": est, "bands": bands, "n": n, "why": None}




def compare(first: Group, second: Group, band_min: int, seed: int, resamples: int) -> dict:
    """Both groups' funds-matched figures over the bands they share, and second minus first."""
    pair = [first, second]
    gap = matched(pair, [-1.0, 1.0], band_min, seed, resamples)
    if gap["estimate"] is None:
        return {"first": None, "second": None, "gap": None, "bands": [], "n": gap["n"], "why": gap["why"]}
    level = [matched(pair, s, band_min, seed, resamples)["estimate"] for s in ([1.0, 0.0], [0.0, 1.0])]
    return {"first": level[0].as_dict(), "second": level[1].as_dict(), "gap": gap["estimate"].as_dict(),
            "bands": gap["bands"], "n": gap["n"], "why": None}


__all__ = ["Group", "compare", "group_of", "matched", "unalerted_share"]
