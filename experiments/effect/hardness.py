"""E1, hardness: how B's detectors see a group of scenarios, with 95% bootstrap intervals.

Per detector, over the scenarios of one group (e.g. baseline templates, planner drafts,
evolved elites):

- ``recall``: alerted transactions / transactions, at B's alert budget;
- ``money_recall``: alerted laundered value / laundered value (US dollars, camouflage excluded);
- ``case_share``: scenarios with at least one alerted transaction (one alert opens an
  investigation of the whole case);
- ``case_funds``: funds placed (USD) of those caught cases / all funds placed;
- ``pr_auc``: average precision of the group's transactions against B's legitimate
  test-period transactions (a point estimate).

Intervals resample scenarios, so a large operation counts as one draw, not many. The
figures are computed from per-scenario records (`record`), which is what an experiment
stores for each scenario and detector.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score

from experiments.effect.heldout import Armed, Outcome
from experiments.effect.stats import Estimate, mean, ratio_of_sums


def record(o: Outcome, name: str) -> dict:
    """What is kept of one scenario's outcome under detector ``name``."""
    alerted = o.alerted[name]
    return {"id": o.scenario_id, "typology": o.typology, "funds_usd": round(o.funds_usd, 2),
            "rows": int(len(o.value)), "value": float(o.value.sum()), "alerted": int(alerted.sum()),
            "alerted_value": float((o.value * alerted).sum()), "scores": np.round(o.scores[name], 6).tolist(),
            "max_scores": list(o.max_scores.get(name, []))}


def hardness_of(records: list[dict], negatives: np.ndarray | None, seed: int = 0,
                resamples: int = 2000) -> dict[str, Estimate | float | None]:
    """The E1 figures of one detector from its records of a group's scenarios (``negatives``:
    its scores of B's legitimate test-period transactions, for PR-AUC; None skips it).

    Raises:
        ValueError: no records.
    """
    if not records:
        raise ValueError("hardness: the group has no evaluated scenarios")
    col = {
        k: np.array([r[k] for r in records], dtype=float)
        for k in ("rows", "value", "alerted", "alerted_value", "funds_usd")
    }
    caught = (col["alerted"] > 0).astype(float)
    out: dict[str, Estimate | float | None] = {
        "recall": ratio_of_sums(col["alerted"], col["rows"], seed, resamples),
        "money_recall": ratio_of_sums(col["alerted_value"], col["value"], seed, resamples),
        "case_share": mean(caught, seed, resamples),
        "case_funds": ratio_of_sums(col["funds_usd"] * caught, col["funds_usd"], seed, resamples),
        "pr_auc": None,
    }
    if negatives is not None:
        scores = np.concatenate([r["scores"] for r in records])
        labels = np.concatenate([np.zeros(len(negatives)), np.ones(len(scores))])
        out["pr_auc"] = float(average_precision_score(labels, np.concatenate([negatives, scores])))
    return out


def hardness(
    outcomes: list[Outcome], armed: list[Armed], seed: int = 0, resamples: int = 2000
) -> dict[str, dict[str, Estimate | float | None]]:
    """The E1 figures per detector for one group of evaluated scenarios.

    Raises:
        ValueError: no scenarios.
    """
    if not outcomes:
        raise ValueError("hardness: the group has no evaluated scenarios")
    return {
        a.name: hardness_of([record(o, a.name) for o in outcomes], a.negatives, seed, resamples)
        for a in armed
    }


__all__ = ["hardness", "hardness_of", "record"]
