"""The E1 table of one run's own data, for its dataset card (`redledger sample`).

The run's baseline templates, round-0 planner drafts and final elites are compiled into the
test period of a held-out World B (the run's World config with another seed, and a period
long enough for the operations to fit its test window) and scored by detectors trained in
B on baseline typologies only. Deterministic: the same run gives the same table.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from experiments.effect.evolve import summarise
from experiments.effect.hardness import hardness_of, record
from experiments.effect.heldout import build_heldout
from experiments.effect.report import fmt
from graph_schema.dsl import Scenario
from graph_schema.typologies import library
from orchestrator.engine import STORE, RunStore

DETECTORS = {"gine@1": {"epochs": 30, "seed": 1}, "rules": {}}  # deterministic, so the card is reproducible


def e1_section(run_dir: Path, seed_offset: int = 1000, days: int = 40, per_template: int = 2,
               resamples: int = 1000) -> list[str]:
    """Markdown lines of the card's E1 section for the run in ``run_dir``."""
    with RunStore(run_dir / STORE, readonly=True) as store:
        cfg = store.config()
        s = summarise(store, cfg, round0_drafts=True)
    world_cfg = cfg.world.generate.model_copy(update={"days": max(days, cfg.world.generate.days)})
    b = build_heldout(world_cfg, seed_offset, DETECTORS, cfg.detectors.training_share)
    rng = np.random.default_rng([world_cfg.seed + seed_offset, 17])
    lib = library()
    groups = {"baseline templates": [lib[n].sample(rng) for n in sorted(lib) for _ in range(per_template)],
              "round-0 drafts": [Scenario.model_validate_json(d) for d in s["drafts"]],
              "evolved elites": [Scenario.model_validate(e["scenario"]) for e in s["elites"]]}
    rows, notes = [], []
    for name, scenarios in groups.items():
        outcomes, failed = b.evaluate_all(scenarios)
        if failed:
            notes.append(
                f"{name}: {len(failed)} of {len(scenarios)} do not fit B's test period and are left out"
            )
        for a in b.armed:
            if not outcomes:
                continue
            h = hardness_of([record(o, a.name) for o in outcomes], a.negatives, 0, resamples)
            e = {k: h[k].as_dict() for k in ("recall", "money_recall", "case_funds")}
            rows.append(
                f"| {name} | {a.name} | {fmt(e['recall'])} | {fmt(e['money_recall'])} | "
                f"{fmt(e['case_funds'])} | {len(outcomes)} |"
            )
    w = b.world
    return [
        "## E1: hardness on detectors this run never saw",
        "",
        f"Measured in a held-out World B ({w.config.accounts:,} accounts, {w.config.days} days, seed "
        f"{w.config.seed}; this dataset's World has seed {cfg.world.generate.seed}): its detectors "
        "trained there on "
        f"baseline typologies only, scenarios compiled into its test period, alerts at the top "
        f"{b.budget:.1%} of its test-period scores. Figures in %, 95% bootstrap intervals over scenarios.",
        "",
        "| group | detector | recall @ budget | money-weighted recall | funds in caught cases | n |",
        "|---|---|---:|---:|---:|---:|",
        *rows,
        "",
        *(f"- {n}" for n in notes),
        "" if notes else "",
        "Produced by `redledger experiment` machinery (`experiments/effect`); the full effect analysis "
        "(more seeds, seven detectors, ablations, retraining) is in experiments/results/effect-small.",
        "",
    ]


__all__ = ["e1_section"]
