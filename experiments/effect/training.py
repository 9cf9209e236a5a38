"""E2, training utility, leave one seed out (`experiments.effect.retrain`): per retrained
detector and test set, the caught funds (funds in cases with at least one alert, each
scenario by the share of its placements alerted) at each alert budget and the money recall,
for the detector as trained (original) and retrained with copies of baseline templates,
planner drafts or elites; and the gains of elites over each control, paired over the test
scenarios, with bootstrap intervals."""

from __future__ import annotations

import numpy as np

from experiments.effect.cells import load_cell
from experiments.effect.headline import unalerted_share
from experiments.effect.stats import ratio_difference, ratio_of_sums
from experiments.effect.stored import Cells, as_json


def case_sums(bt: dict) -> dict[str, np.ndarray]:
    """Per baseline test case (sorted by case id): alerted transactions, transactions,
    alerted USD and USD."""
    cases = sorted(set(bt["case"]))
    idx = {c: i for i, c in enumerate(cases)}
    pos = np.array([idx[c] for c in bt["case"]], dtype=int)
    al, usd = np.array(bt["alerted"], dtype=float), np.array(bt["usd"], dtype=float)
    n = len(cases)
    return {
        "alerted": np.bincount(pos, al, n),
        "rows": np.bincount(pos, None, n).astype(float),
        "alerted_usd": np.bincount(pos, al * usd, n),
        "usd": np.bincount(pos, usd, n),
    }


CONDITIONS = ("original", "templates", "drafts", "elites")
TESTS = ("elites", "baseline", "family_elites", "family_baseline")
GAINS = (("elites", "templates"), ("elites", "drafts"))


def _scores(records: list[dict], thresholds: dict[str, float]) -> dict[str, dict]:
    """Per scenario id: funds, value, alerted value (main budget) and the caught share of its
    placements at each budget."""
    return {
        r["id"]: {"funds": r["funds_usd"], "value": r["value"], "alerted_value": r["alerted_value"],
                  **{b: 1.0 - unalerted_share(r, t) for b, t in thresholds.items()}}
        for r in records
    }


def _original(cells: Cells, d: str, test: str, held: int) -> list[dict]:
    """Test set ``test`` of held-out seed ``held`` as the detector before retraining scored it."""
    arm = cells.cfg.retrain.arm
    if test.endswith("elites"):
        return cells.measured(f"{arm}-s{held}", d, "elites")["records"]
    return cells.measured("baseline", d, "baseline")["records"]


def _pooled(cells: Cells, d: str, test: str) -> dict[str, dict[str, dict]]:
    """Per condition, per test scenario: its figures, averaged over the held-out seeds that
    tested it (a baseline template is tested once per seed). Only scenarios that every
    condition scored are kept, so that every comparison is paired."""
    orig_thr = cells.thresholds(d)
    acc: dict[str, dict[str, list[dict]]] = {c: {} for c in CONDITIONS}
    for h in cells.cfg.seeds:
        per = {kind: load_cell(cells.out, f"retrain/{d}/{kind}-h{h}") for kind in CONDITIONS[1:]}
        ids = set.intersection(*({r["id"] for r in c["tested"][test]["records"]} for c in per.values()))
        got = {k: _scores(c["tested"][test]["records"], c["thresholds"]) for k, c in per.items()}
        got["original"] = _scores(_original(cells, d, test, h), orig_thr)
        ids &= set(got["original"])
        for c in CONDITIONS:
            for i in ids:
                acc[c].setdefault(i, []).append(got[c][i])
    return {c: {i: {k: float(np.mean([x[k] for x in xs])) for k in xs[0]} for i, xs in sorted(acc[c].items())}
            for c in CONDITIONS}


def _figures(pooled: dict[str, dict[str, dict]], budgets: list[str], rs: int) -> dict:
    """Caught funds at each budget and money recall per condition, and the paired gains."""
    ids = sorted(pooled["original"])
    if not ids:
        return {"n": 0}
    keys = ("funds", "value", "alerted_value", *budgets)
    col = {c: {k: np.array([pooled[c][i][k] for i in ids]) for k in keys} for c in CONDITIONS}
    funds, value = col["original"]["funds"], col["original"]["value"]
    metrics = {f"caught_funds@{b}": (lambda c, b=b: funds * col[c][b], funds) for b in budgets}
    metrics["money_recall"] = (lambda c: col[c]["alerted_value"], value)
    out: dict = {"n": len(ids)}
    for name, (num, den) in metrics.items():
        if den.sum() <= 0:
            continue
        out[name] = {c: as_json(ratio_of_sums(num(c), den, 0, rs)) for c in CONDITIONS}
        out[name]["gains"] = {
            f"{a}-{b}": as_json(ratio_difference(num(b), num(a), den, 0, rs)) for a, b in GAINS
        }
    return out


def e2(cells: Cells) -> dict:
    """E2 per retrained detector and test set: each condition's figures and the gains of
    training on elites over the two controls (paired over the test scenarios)."""
    cfg = cells.cfg
    if not cfg.retrain.enabled:
        return {}
    budgets = [f"{b:g}" for b in cfg.heldout.budgets]
    r = cfg.retrain
    out = {"arm": r.arm, "heldout_family": r.heldout_family, "budgets": budgets, "copies": r.copies,
           "val_copies": r.val_copies, "detectors": {}, "trained_on": {}}
    for d in cfg.retrain.detectors:
        out["detectors"][d] = {t: _figures(_pooled(cells, d, t), budgets, cfg.resamples) for t in TESTS}
        out["trained_on"][d] = {
            f"{k}-h{h}": load_cell(cells.out, f"retrain/{d}/{k}-h{h}")["compiled"]
            for k in CONDITIONS[1:] for h in cfg.seeds
        }
    return out


__all__ = ["CONDITIONS", "GAINS", "TESTS", "case_sums", "e2"]
