"""E1, hardness: how B's detectors see a group of scenarios, with 95% bootstrap intervals.

Per detector, over the scenarios of one group (e.g. baseline templates, round-0 drafts,
evolved elites):

- ``recall``: alerted transactions / transactions, at B's alert budget;
- ``money_recall``: alerted laundered value / laundered value (camouflage excluded);
- ``case_share``: scenarios with at least one alerted transaction (one alert opens an
  investigation of the whole case);
- ``case_funds``: funds placed (USD) of those caught cases / all funds placed;
- ``pr_auc``: average precision of the group's transactions against B's legitimate
  test-period transactions (a point estimate).

Intervals resample scenarios, so a large operation counts as one draw, not many.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score

from experiments.effect.heldout import Armed, Outcome
from experiments.effect.stats import Estimate, mean, ratio_of_sums


def hardness(outcomes: list[Outcome], armed: list[Armed], seed: int = 0,
             resamples: int = 2000) -> dict[str, dict[str, Estimate | float]]:
    """The E1 figures per detector for one group of evaluated scenarios.

    Raises:
        ValueError: no scenarios.
    """
    if not outcomes:
        raise ValueError("hardness: the group has no evaluated scenarios")
    rows = np.array([len(o.value) for o in outcomes], dtype=float)
    value = np.array([o.value.sum() for o in outcomes])
    funds = np.array([o.funds_usd for o in outcomes])
    out = {}
    for a in armed:
        alerted = [o.alerted[a.name] for o in outcomes]
        caught = np.array([x.any() for x in alerted], dtype=float)
        scores = np.concatenate([o.scores[a.name] for o in outcomes])
        labels = np.concatenate([np.zeros(len(a.negatives)), np.ones(len(scores))])
        out[a.name] = {
            "recall": ratio_of_sums([x.sum() for x in alerted], rows, seed, resamples),
            "money_recall": ratio_of_sums([(o.value * x).sum() for o, x in zip(outcomes, alerted, strict=True)],
                                          value, seed, resamples),
            "case_share": mean(caught, seed, resamples),
            "case_funds": ratio_of_sums(funds * caught, funds, seed, resamples),
            "pr_auc": float(average_precision_score(labels, np.concatenate([a.negatives, scores]))),
        }
    return out


__all__ = ["hardness"]
