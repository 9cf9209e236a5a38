"""From stored cells to `results.json`: E1 (hardness), E2 (training utility), E3 (the
ablation), realism and E4 (does Elo mean something). Every figure is a point estimate with
a 95% bootstrap interval and the number of scenarios behind it (`stats.Estimate`).

Groups: ``baseline`` (library templates), ``drafts`` (first planner drafts, see `evolve.summarise`) and
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
from experiments.effect.headline import Group, compare, group_of
from experiments.effect.sittings import read_sittings, sittings_summary
from experiments.effect.stats import (
    Estimate,
    mean,
    ratio_gap,
    ratio_of_sums,
    spearman,
)
from experiments.effect.stored import Cells, as_json
from experiments.effect.training import case_sums, e2
from graph_schema.formats import read_world

KINDS = ("baseline", "drafts", "elites")


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
        out.append(
            {
                "id": r0["id"],
                "typology": r0["typology"],
                "funds_usd": r0["funds_usd"],
                "value": r0["value"],
                "rows": r0["rows"],
                "alerted_value": float(np.mean([r["alerted_value"] for r in rows])),
                "alerted": float(np.mean([r["alerted"] for r in rows])),
                "caught": float(np.mean([r["alerted"] > 0 for r in rows])),
            }
        )
    return out


def summary(rows: list[dict], seed: int, resamples: int) -> dict:
    """Mean-over-detectors figures of a group, and its volume."""
    if not rows:
        return {"n": 0}
    c = {
        k: np.array([r[k] for r in rows], dtype=float)
        for k in ("funds_usd", "value", "alerted_value", "caught", "alerted", "rows")
    }
    return {
        "n": len(rows),
        "recall": as_json(ratio_of_sums(c["alerted"], c["rows"], seed, resamples)),
        "money_recall": as_json(ratio_of_sums(c["alerted_value"], c["value"], seed, resamples)),
        "case_funds": as_json(ratio_of_sums(c["funds_usd"] * c["caught"], c["funds_usd"], seed, resamples)),
        "case_share": as_json(mean(c["caught"], seed, resamples)),
        "laundered_usd": as_json(mean(c["value"], seed, resamples)),
        "median_laundered_usd": float(np.median(c["value"])),
    }


def e1(cells: Cells) -> dict:
    cfg, seed, rs = cells.cfg, 0, cells.cfg.resamples
    out: dict = {"per_detector": {}, "mean": {}, "gap": {}, "per_typology": {}, "failed": {}}
    groups = [("baseline", None, "baseline")]
    groups += [(f"{a}/{k}", a, k) for a in cfg.arms for k in ("drafts", "elites")]
    for name, arm, kind in groups:
        out["failed"][name] = {"count": len(cells.failed(arm, kind)),
                               "first": next(iter(cells.failed(arm, kind).values()), None)}
        per = {}
        for d in cells.dets:
            recs = cells.records(arm, kind, d)
            per[d] = ({k: (as_json(v) if isinstance(v, Estimate) else v) for k, v in
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
                gaps[d] = as_json(ratio_gap([r["alerted_value"] for r in a], [r["value"] for r in a],
                                         [r["alerted_value"] for r in b], [r["value"] for r in b], seed, rs))
        if drafts_m and elites_m:
            gaps["laundered_usd"] = as_json(ratio_gap([r["value"] for r in drafts_m], [1.0] * len(drafts_m),
                                                   [r["value"] for r in elites_m], [1.0] * len(elites_m),
                                                   seed, rs))
        out["gap"][arm] = gaps  # elites minus drafts: money recall per detector, and mean laundered USD
    arm = "full" if "full" in cfg.arms else cfg.arms[0]
    for kind, a in (("baseline", None), ("drafts", arm), ("elites", arm)):
        by = defaultdict(list)
        for r in detector_mean(cells, a, kind):
            by[r["typology"]].append(r)
        out["per_typology"][kind] = {t: summary(rows, seed, rs) for t, rows in sorted(by.items())}
    out["per_typology_arm"] = arm
    return out


def _group(cells: Cells, arm: str | None, kind: str, dets: list[str], budget: str) -> Group:
    thresholds = [cells.thresholds(d)[budget] for d in dets]
    bins = cells.cfg.loop.archive.volume_bins
    return group_of([cells.records(arm, kind, d) for d in dets], thresholds, bins)


def net_funds(cells: Cells) -> dict:
    """The headline, per arm, alert budget and detector (and the mean over detectors): net
    funds in cases with no alert, funds-matched by volume band (`experiments.effect.headline`),
    for drafts against elites and the baseline templates against elites; and, for every arm
    but `full`, its drafts and its elites against the whole loop's (``full``)."""
    cfg = cells.cfg
    out: dict = {"budgets": [f"{b:g}" for b in cfg.heldout.budgets], "placements": cfg.heldout.placements,
                 "band_min": cfg.heldout.band_min, "volume_bins": cfg.loop.archive.volume_bins, "arms": {}}
    made: dict[tuple, Group] = {}  # each group read from its cells once, though several arms compare with it

    def group(arm: str | None, kind: str, dets: list[str], b: str) -> Group:
        key = (arm, kind, tuple(dets), b)
        if key not in made:
            made[key] = _group(cells, arm, kind, dets, b)
        return made[key]

    for arm in cfg.arms:
        per_budget = {}
        for b in out["budgets"]:
            per_det = {}
            for d in [*cells.dets, "mean"]:
                dets = cells.dets if d == "mean" else [d]
                elites, m, rs = group(arm, "elites", dets, b), cfg.heldout.band_min, cfg.resamples
                per_det[d] = {
                    "drafts_elites": compare(group(arm, "drafts", dets, b), elites, m, 0, rs),
                    "baseline_elites": compare(group(None, "baseline", dets, b), elites, m, 0, rs),
                }
                if arm != "full" and "full" in cfg.arms:  # this arm's groups against the whole loop's
                    per_det[d]["full"] = {
                        k: compare(group("full", k, dets, b), group(arm, k, dets, b), m, 0, rs)
                        for k in ("drafts", "elites")}
            per_budget[b] = per_det
        out["arms"][arm] = per_budget
    return out


def _spread(values: list[float]) -> dict:
    return {
        "mean": float(np.mean(values)),
        "min": float(np.min(values)),
        "max": float(np.max(values)),
        "n": len(values),
    }


def _llm_usage(ev: list[dict]) -> dict:
    """Every seed's LLM usage of one arm, summed per role (empty for procedural roles)."""
    out: dict[str, dict] = {}
    for e in ev:
        for role, u in e.get("llm", {}).items():
            acc = out.setdefault(role, dict.fromkeys(u, 0))
            for k, v in u.items():
                acc[k] = round(acc[k] + v, 1)
    return out


def e3(cells: Cells, realism: dict) -> dict:
    cfg, out = cells.cfg, {}
    for arm in cfg.arms:
        ev = [cells.evolve(arm, s) for s in cfg.seeds]
        elites = detector_mean(cells, arm, "elites")
        props = sum(e["validity"]["proposals"] for e in ev)
        out[arm] = {
            "description": DESCRIPTIONS[arm],
            "elites": summary(elites, 0, cfg.resamples),
            "median_funds_integrated_usd": float(
                np.median([x["funds_integrated"] for e in ev for x in e["elites"]])
            )
            if any(e["elites"] for e in ev)
            else 0.0,
            "realism_auc": realism.get(arm, {}).get("auc"),
            "leak_auc": realism.get(arm, {}).get("leak_auc"),
            "diversity": {
                k: _spread([e["diversity"][k] for e in ev])
                for k in ("coverage", "families", "typology_entropy", "structural_distance")
            },
            "validity": {
                "proposals": props,
                "valid": sum(e["validity"]["valid"] for e in ev),
                "rate": sum(e["validity"]["valid"] for e in ev) / props if props else 0.0,
            },
            "cost": {
                k: _spread([e["cost"][k] for e in ev])
                for k in ("candidates", "proposals", "seconds", "tokens")
            },
            "filter": {
                "kept": sum(e["filter"]["kept"] for e in ev),
                "dropped": sum(e["filter"]["dropped"] for e in ev),
            },
            "elites_per_seed": [len(e["elites"]) for e in ev],
            "llm": _llm_usage(ev),
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
        return {
            "arm": arm,
            "n": len(x),
            "spearman": as_json(spearman(x, y, 0, cells.cfg.resamples)),
            "measure": measure,
        }
    except ValueError as err:  # too few elites, or a constant variable
        return {"arm": arm, "n": len(x), "spearman": None, "measure": measure, "why": str(err)}


def _world_facts(path: Path) -> dict:
    w = read_world(path)
    c = w.config
    return {
        "seed": c.seed,
        "accounts": w.n_accounts,
        "transactions": w.ledger.num_rows,
        "days": c.days,
        "laundering_transactions": int(np.asarray(w.ledger.column("is_laundering")).sum()),
    }


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
    heldout = {
        d: {k: v for k, v in load_cell(out, f"heldout/{d}").items() if k != "baseline_test"}
        for d in cells.dets
    }
    for d in cells.dets:
        bt = case_sums(load_cell(out, f"heldout/{d}")["baseline_test"])
        heldout[d]["baseline_test_recall"] = (
            as_json(ratio_of_sums(bt["alerted"], bt["rows"], 0, cfg.resamples)) if len(bt["rows"]) else None
        )
        heldout[d]["overrides"] = cfg.heldout.detectors[d]
    return {
        "name": cfg.name,
        "config_digest": cfg.digest(),
        "plumbing_only": cfg.plumbing_only,
        "arms": cfg.arms,
        "seeds": cfg.seeds,
        "detectors": cells.dets,
        "loop_detectors": cfg.loop.detectors.names,
        "budget": cfg.heldout.budget,
        "worlds": {"A": _world_facts(out / WORLD_A), "B": _world_facts(out / WORLD_B)},
        "heldout": heldout,
        "e1": e1(cells),
        "net_funds": net_funds(cells),
        "e2": e2(cells),
        "e3": e3(cells, realism),
        "e4": e4(cells),
        "realism": realism,
        "seconds": seconds,
        "cell_seconds": _cell_seconds(out),
        "sittings_seconds": {"summary": sittings_summary(read_sittings(out)), "records": read_sittings(out)},
        "families": {
            t: family(t)
            for t in sorted({r["typology"] for r in cells.records(None, "baseline", cells.dets[0])})
        },
    }


__all__ = ["analyse"]
