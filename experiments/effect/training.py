"""E2, training utility: detectors retrained in World B with elite copies in their training
period, measured before and after on held-out scenarios, with bootstrap intervals."""

from __future__ import annotations

import numpy as np

from experiments.effect.cells import load_cell
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


def _before_after(pairs: list[tuple[dict, list[dict]]], rs: int) -> dict:
    """Money recall and funds in caught cases of the same scenarios before and after
    retraining, with the paired change. Each item is (record before, its records after, one
    per retrained model); a scenario tested after several retrainings counts once, with
    its alerted value and caught indicator averaged over them."""
    if not pairs:
        return {"n": 0}
    value = np.array([b["value"] for b, _ in pairs])
    funds = np.array([b["funds_usd"] for b, _ in pairs])
    cols = {
        "b_val": [b["alerted_value"] for b, _ in pairs],
        "a_val": [np.mean([r["alerted_value"] for r in a]) for _, a in pairs],
        "b_case": [funds_i * (b["alerted"] > 0) for (b, _), funds_i in zip(pairs, funds, strict=True)],
        "a_case": [
            funds_i * np.mean([r["alerted"] > 0 for r in a])
            for (_, a), funds_i in zip(pairs, funds, strict=True)
        ],
    }
    out = {"n": len(value)}
    for name, b, a, den in (
        ("money_recall", "b_val", "a_val", value),
        ("case_funds", "b_case", "a_case", funds),
    ):
        out[name] = {
            "before": as_json(ratio_of_sums(cols[b], den, 0, rs)),
            "after": as_json(ratio_of_sums(cols[a], den, 0, rs)),
            "change": as_json(ratio_difference(cols[b], cols[a], den, 0, rs)),
        }
    return out


def e2(cells: Cells) -> dict:
    cfg = cells.cfg
    if not cfg.retrain.enabled:
        return {}
    seeds, arm, rs = cfg.seeds, cfg.retrain.arm, cfg.resamples
    pairs = [(seeds[i], seeds[(i + 1) % len(seeds)]) for i in range(len(seeds))]
    out = {"arm": arm, "pairs": [list(p) for p in pairs], "detectors": {}}
    for d in cfg.retrain.detectors:
        elites: list[
            tuple[dict, list[dict]]
        ] = []  # each seed's elites are tested once, by its own retraining
        templates = {r["id"]: (r, []) for r in cells.measured("baseline", d, "baseline")["records"]}
        base_after, trained = [], []
        for s1, s2 in pairs:
            cell = load_cell(cells.out, f"retrain/{d}/{s1}-{s2}")
            trained.append(cell["trained_on"])
            before = {r["id"]: r for r in cells.measured(f"{arm}-s{s2}", d, "elites")["records"]}
            elites += [(before[r["id"]], [r]) for r in cell["elites"]["records"] if r["id"] in before]
            for r in cell["baseline"]["records"]:
                if r["id"] in templates:
                    templates[r["id"]][1].append(r)
            base_after.append(case_sums(cell["baseline_test"]))
        row: dict = {
            "training_elites_compiled": trained,
            "elites": _before_after(elites, rs),
            "baseline_templates": _before_after([t for t in templates.values() if t[1]], rs),
        }
        before_b = case_sums(load_cell(cells.out, f"heldout/{d}")["baseline_test"])
        after_b = {k: np.mean([b[k] for b in base_after], axis=0) for k in ("alerted", "alerted_usd")}
        if len(before_b["rows"]):
            row["baseline_test"] = {}
            for name, num, den in (("recall", "alerted", "rows"), ("money_recall", "alerted_usd", "usd")):
                row["baseline_test"][name] = {
                    "before": as_json(ratio_of_sums(before_b[num], before_b[den], 0, rs)),
                    "after": as_json(ratio_of_sums(after_b[num], before_b[den], 0, rs)),
                    "change": as_json(ratio_difference(before_b[num], after_b[num], before_b[den], 0, rs)),
                }
        out["detectors"][d] = row
    return out


__all__ = ["case_sums", "e2"]
