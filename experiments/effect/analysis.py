"""From stored cells to `results.json`: E1 (hardness), E2 (training utility), E3 (the
ablation), realism and E4 (does Elo mean something). Every figure is a point estimate with
a 95% bootstrap interval and the number of scenarios behind it (`stats.Estimate`).

Groups: ``baseline`` (library templates), ``drafts`` (round-0 planner drafts) and
``elites`` (the final archive); an arm's drafts and elites pool its evolution seeds.
"Mean over detectors" figures average a scenario's alerted value (or caught case) over
the evaluation detectors first, then take the ratio over scenarios.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from experiments.effect.arms import DESCRIPTIONS
from experiments.effect.cells import WORLD_A, WORLD_B, family, load_cell
from experiments.effect.config import ExperimentConfig
from experiments.effect.hardness import hardness_of
from experiments.effect.stats import (
    Estimate,
    mean,
    ratio_difference,
    ratio_gap,
    ratio_of_sums,
    spearman,
)
from graph_schema.formats import read_world

KINDS = ("baseline", "drafts", "elites")


def _est(e: Estimate | None) -> dict | None:
    return e.as_dict() if e is not None else None


class Cells:
    """Read access to an experiment's stored cells."""

    def __init__(self, cfg: ExperimentConfig, out: Path):
        self.cfg, self.out = cfg, out
        self.dets = list(cfg.heldout.detectors)
        self._neg: dict[str, np.ndarray] = {}

    def negatives(self, det: str) -> np.ndarray:
        if det not in self._neg:
            self._neg[det] = np.load(self.out / "detectors" / det / "negatives.npy")
        return self._neg[det]

    def measured(self, group: str, det: str, kind: str) -> dict:
        return load_cell(self.out, f"measure/{group}/{det}")[kind]

    def records(self, arm: str | None, kind: str, det: str) -> list[dict]:
        """Records of a kind for an arm (pooled over seeds) or of the baseline group."""
        if kind == "baseline":
            return self.measured("baseline", det, "baseline")["records"]
        return [r for s in self.cfg.seeds for r in self.measured(f"{arm}-s{s}", det, kind)["records"]]

    def failed(self, arm: str | None, kind: str) -> dict[str, str]:
        det = self.dets[0]
        if kind == "baseline":
            return self.measured("baseline", det, "baseline")["failed"]
        return {k: v for s in self.cfg.seeds for k, v in self.measured(f"{arm}-s{s}", det, kind)["failed"].items()}

    def evolve(self, arm: str, seed: int) -> dict:
        return load_cell(self.out, f"evolve/{arm}-s{seed}")


def detector_mean(cells: Cells, arm: str | None, kind: str) -> list[dict]:
    """Per scenario, its alerted value and caught-case indicator averaged over the detectors.

    Scenarios repeat across seeds (identical drafts, shared elites) only as separate draws
    of their seeds, so the position in the pooled list identifies a record.
    """
    per_det = [cells.records(arm, kind, d) for d in cells.dets]
    out = []
    for rows in zip(*per_det, strict=True):
        r0 = rows[0]
        if any(r["id"] != r0["id"] for r in rows):
            raise ValueError(f"{kind} of {arm}: the detectors' records are not of the same scenarios")
        out.append({"id": r0["id"], "typology": r0["typology"], "funds_usd": r0["funds_usd"], "value": r0["value"],
                    "rows": r0["rows"], "alerted_value": float(np.mean([r["alerted_value"] for r in rows])),
                    "alerted": float(np.mean([r["alerted"] for r in rows])),
                    "caught": float(np.mean([r["alerted"] > 0 for r in rows]))})
    return out


def summary(rows: list[dict], seed: int, resamples: int) -> dict:
    """Mean-over-detectors figures of a group, and its volume."""
    if not rows:
        return {"n": 0}
    c = {k: np.array([r[k] for r in rows], dtype=float) for k in ("funds_usd", "value", "alerted_value", "caught",
                                                                   "alerted", "rows")}
    return {"n": len(rows),
            "recall": _est(ratio_of_sums(c["alerted"], c["rows"], seed, resamples)),
            "money_recall": _est(ratio_of_sums(c["alerted_value"], c["value"], seed, resamples)),
            "case_funds": _est(ratio_of_sums(c["funds_usd"] * c["caught"], c["funds_usd"], seed, resamples)),
            "case_share": _est(mean(c["caught"], seed, resamples)),
            "laundered_usd": _est(mean(c["value"], seed, resamples)),
            "median_laundered_usd": float(np.median(c["value"]))}


def e1(cells: Cells) -> dict:
    cfg, seed, rs = cells.cfg, 0, cells.cfg.resamples
    out: dict = {"per_detector": {}, "mean": {}, "gap": {}, "per_typology": {}, "failed": {}}
    groups = [("baseline", None, "baseline")] + [(f"{a}/{k}", a, k) for a in cfg.arms for k in ("drafts", "elites")]
    for name, arm, kind in groups:
        out["failed"][name] = {"count": len(cells.failed(arm, kind)),
                               "first": next(iter(cells.failed(arm, kind).values()), None)}
        per = {}
        for d in cells.dets:
            recs = cells.records(arm, kind, d)
            per[d] = ({k: (_est(v) if isinstance(v, Estimate) else v) for k, v in
                       hardness_of(recs, cells.negatives(d), seed, rs).items()} if recs else None)
        out["per_detector"][name] = per
        out["mean"][name] = summary(detector_mean(cells, arm, kind), seed, rs)
    for arm in cfg.arms:
        gaps = {}
        drafts_m, elites_m = detector_mean(cells, arm, "drafts"), detector_mean(cells, arm, "elites")
        for d in [*cells.dets, "mean"]:
            a = drafts_m if d == "mean" else cells.records(arm, "drafts", d)
            b = elites_m if d == "mean" else cells.records(arm, "elites", d)
            if a and b:
                gaps[d] = _est(ratio_gap([r["alerted_value"] for r in a], [r["value"] for r in a],
                                         [r["alerted_value"] for r in b], [r["value"] for r in b], seed, rs))
        if drafts_m and elites_m:
            gaps["laundered_usd"] = _est(ratio_gap([r["value"] for r in drafts_m], [1.0] * len(drafts_m),
                                                   [r["value"] for r in elites_m], [1.0] * len(elites_m), seed, rs))
        out["gap"][arm] = gaps  # elites minus drafts: money recall per detector, and mean laundered USD
    arm = "full" if "full" in cfg.arms else cfg.arms[0]
    for kind, a in (("baseline", None), ("drafts", arm), ("elites", arm)):
        by = defaultdict(list)
        for r in detector_mean(cells, a, kind):
            by[r["typology"]].append(r)
        out["per_typology"][kind] = {t: summary(rows, seed, rs) for t, rows in sorted(by.items())}
    out["per_typology_arm"] = arm
    return out


def _case_sums(bt: dict) -> dict[str, np.ndarray]:
    """Per baseline test case (sorted by case id): alerted transactions, transactions,
    alerted USD and USD."""
    cases = sorted(set(bt["case"]))
    idx = {c: i for i, c in enumerate(cases)}
    pos = np.array([idx[c] for c in bt["case"]], dtype=int)
    al, usd = np.array(bt["alerted"], dtype=float), np.array(bt["usd"], dtype=float)
    n = len(cases)
    return {"alerted": np.bincount(pos, al, n), "rows": np.bincount(pos, None, n).astype(float),
            "alerted_usd": np.bincount(pos, al * usd, n), "usd": np.bincount(pos, usd, n)}


def _before_after(pairs: list[tuple[dict, list[dict]]], rs: int) -> dict:
    """Money recall and funds in caught cases of the same scenarios before and after
    retraining, with the paired change. Each item is (record before, its records after, one
    per retrained model); a scenario tested after several retrainings counts once, with
    its alerted value and caught indicator averaged over them."""
    if not pairs:
        return {"n": 0}
    value = np.array([b["value"] for b, _ in pairs])
    funds = np.array([b["funds_usd"] for b, _ in pairs])
    cols = {"b_val": [b["alerted_value"] for b, _ in pairs],
            "a_val": [np.mean([r["alerted_value"] for r in a]) for _, a in pairs],
            "b_case": [funds_i * (b["alerted"] > 0) for (b, _), funds_i in zip(pairs, funds, strict=True)],
            "a_case": [funds_i * np.mean([r["alerted"] > 0 for r in a]) for (_, a), funds_i in zip(pairs, funds, strict=True)]}
    out = {"n": len(value)}
    for name, b, a, den in (("money_recall", "b_val", "a_val", value), ("case_funds", "b_case", "a_case", funds)):
        out[name] = {"before": _est(ratio_of_sums(cols[b], den, 0, rs)), "after": _est(ratio_of_sums(cols[a], den, 0, rs)),
                     "change": _est(ratio_difference(cols[b], cols[a], den, 0, rs))}
    return out


def e2(cells: Cells) -> dict:
    cfg = cells.cfg
    if not cfg.retrain.enabled:
        return {}
    seeds, arm, rs = cfg.seeds, cfg.retrain.arm, cfg.resamples
    pairs = [(seeds[i], seeds[(i + 1) % len(seeds)]) for i in range(len(seeds))]
    out = {"arm": arm, "pairs": [list(p) for p in pairs], "detectors": {}}
    for d in cfg.retrain.detectors:
        elites: list[tuple[dict, list[dict]]] = []  # each seed's elites are tested once, by its own retraining
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
            base_after.append(_case_sums(cell["baseline_test"]))
        row: dict = {"training_elites_compiled": trained, "elites": _before_after(elites, rs),
                     "baseline_templates": _before_after([t for t in templates.values() if t[1]], rs)}
        before_b = _case_sums(load_cell(cells.out, f"heldout/{d}")["baseline_test"])
        after_b = {k: np.mean([b[k] for b in base_after], axis=0) for k in ("alerted", "alerted_usd")}
        if len(before_b["rows"]):
            row["baseline_test"] = {}
            for name, num, den in (("recall", "alerted", "rows"), ("money_recall", "alerted_usd", "usd")):
                row["baseline_test"][name] = {
                    "before": _est(ratio_of_sums(before_b[num], before_b[den], 0, rs)),
                    "after": _est(ratio_of_sums(after_b[num], before_b[den], 0, rs)),
                    "change": _est(ratio_difference(before_b[num], after_b[num], before_b[den], 0, rs))}
        out["detectors"][d] = row
    return out


def _spread(values: list[float]) -> dict:
    return {"mean": float(np.mean(values)), "min": float(np.min(values)), "max": float(np.max(values)),
            "n": len(values)}


def e3(cells: Cells, realism: dict) -> dict:
    cfg, out = cells.cfg, {}
    for arm in cfg.arms:
        ev = [cells.evolve(arm, s) for s in cfg.seeds]
        elites = detector_mean(cells, arm, "elites")
        props = sum(e["validity"]["proposals"] for e in ev)
        out[arm] = {
            "description": DESCRIPTIONS[arm],
            "elites": summary(elites, 0, cfg.resamples),
            "median_funds_integrated_usd": float(np.median([x["funds_integrated"] for e in ev for x in e["elites"]]))
            if any(e["elites"] for e in ev) else 0.0,
            "realism_auc": realism.get(arm, {}).get("auc"),
            "leak_auc": realism.get(arm, {}).get("leak_auc"),
            "diversity": {k: _spread([e["diversity"][k] for e in ev])
                          for k in ("coverage", "families", "typology_entropy", "structural_distance")},
            "validity": {"proposals": props, "valid": sum(e["validity"]["valid"] for e in ev),
                         "rate": sum(e["validity"]["valid"] for e in ev) / props if props else 0.0},
            "cost": {k: _spread([e["cost"][k] for e in ev]) for k in ("candidates", "proposals", "seconds", "tokens")},
            "filter": {"kept": sum(e["filter"]["kept"] for e in ev), "dropped": sum(e["filter"]["dropped"] for e in ev)},
            "elites_per_seed": [len(e["elites"]) for e in ev],
        }
    return out


def e4(cells: Cells) -> dict:
    arm = "full" if "full" in cells.cfg.arms else cells.cfg.arms[0]
    elo = {}
    for s in cells.cfg.seeds:
        for e in cells.evolve(arm, s)["elites"]:
            elo.setdefault(e["id"], []).append(e["elo"])
    rows = detector_mean(cells, arm, "elites")
    x, y = [], []
    seen: dict[str, int] = defaultdict(int)
    for r in rows:  # pooled over seeds: each seed's elite with that seed's Elo
        ratings = elo.get(r["id"], [])
        k = seen[r["id"]]
        seen[r["id"]] += 1
        if k < len(ratings) and ratings[k] is not None and r["value"] > 0:
            x.append(ratings[k])
            y.append(1 - r["alerted_value"] / r["value"])
    measure = "final Elo vs held-out money-weighted miss rate (1 - money recall, mean over detectors)"
    try:
        return {"arm": arm, "n": len(x), "spearman": _est(spearman(x, y, 0, cells.cfg.resamples)), "measure": measure}
    except ValueError as err:  # too few elites, or a constant variable
        return {"arm": arm, "n": len(x), "spearman": None, "measure": measure, "why": str(err)}


def _world_facts(path: Path) -> dict:
    w = read_world(path)
    c = w.config
    return {"seed": c.seed, "accounts": w.n_accounts, "transactions": w.ledger.num_rows, "days": c.days,
            "laundering_transactions": int(np.asarray(w.ledger.column("is_laundering")).sum())}


def _cell_seconds(out: Path) -> float:
    """Compute time of every stored cell, summed (the invocation's ``seconds`` only counts the
    cells that invocation ran, e.g. after a resume)."""
    import json

    return round(sum(json.loads(p.read_text())["seconds"] for p in (out / "cells").glob("*.json")), 1)


def analyse(cfg: ExperimentConfig, out: Path, seconds: float | None = None) -> dict:
    """Every table of the experiment, from its stored cells; ``seconds`` is this invocation's wall time."""
    cells = Cells(cfg, out)
    realism = {}
    if cfg.realism.enabled:
        for g in ["baseline", *cfg.arms]:
            realism[g] = load_cell(out, f"realism/{g}")
    heldout = {d: {k: v for k, v in load_cell(out, f"heldout/{d}").items() if k != "baseline_test"}
               for d in cells.dets}
    for d in cells.dets:
        bt = _case_sums(load_cell(out, f"heldout/{d}")["baseline_test"])
        heldout[d]["baseline_test_recall"] = (_est(ratio_of_sums(bt["alerted"], bt["rows"], 0, cfg.resamples))
                                              if len(bt["rows"]) else None)
        heldout[d]["overrides"] = cfg.heldout.detectors[d]
    return {
        "name": cfg.name, "config_digest": cfg.digest(), "plumbing_only": cfg.plumbing_only,
        "arms": cfg.arms, "seeds": cfg.seeds, "detectors": cells.dets,
        "loop_detectors": cfg.loop.detectors.names, "budget": cfg.heldout.budget,
        "worlds": {"A": _world_facts(out / WORLD_A), "B": _world_facts(out / WORLD_B)},
        "heldout": heldout,
        "e1": e1(cells), "e2": e2(cells), "e3": e3(cells, realism), "e4": e4(cells),
        "realism": realism, "seconds": seconds, "cell_seconds": _cell_seconds(out),
        "families": {t: family(t) for t in sorted({r["typology"] for r in cells.records(None, "baseline", cells.dets[0])})},
    }


__all__ = ["analyse"]
