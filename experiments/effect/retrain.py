"""E2's cells, leave one seed out: an evaluation detector retrained in World B on B plus
copies of one training set, and tested on what none of its training sets held.

Training sets, for held-out evolution seed ``h`` (every one without the held-out family,
`RetrainConfig.heldout_family`, and of the same size ``n``: the number of elites the other
seeds evolved):

- ``elites``: the elites of arm `retrain.arm` of every seed but ``h``;
- ``drafts`` (control): ``n`` planner drafts of the same seeds;
- ``templates`` (control): ``n`` baseline-template instances (fresh draws of the library).

Each scenario goes into B's training period `retrain.copies` times and into its validation
period (which drives early stopping) `retrain.val_copies` times, at other times and accounts.
Only laundering rows are positive: the compiler labels camouflage purchases 0.

Test sets, compiled into B's test period exactly as the measure cells compile them (same
seeds and placements, so each scenario is paired with its score before retraining):
``elites`` (seed ``h``'s elites outside the held-out family), ``baseline`` (the baseline
group outside it), ``family_elites`` and ``family_baseline`` (the held-out family's).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from experiments.effect.cells import _split_b, baseline_group, load_cell
from experiments.effect.config import ExperimentConfig
from experiments.effect.hardness import record
from experiments.effect.heldout import HeldOut, arm_detector
from graph_schema.compiler import compile_scenario
from graph_schema.dsl import Scenario, Typology
from graph_schema.errors import ScenarioError
from graph_schema.families import family_of
from graph_schema.typologies import library

TRAIN_SETS = ("elites", "drafts", "templates")


def _elites(cfg: ExperimentConfig, out: Path, seed: int) -> list[Scenario]:
    ev = load_cell(out, f"evolve/{cfg.retrain.arm}-s{seed}")
    return [Scenario.model_validate(e["scenario"]) for e in ev["elites"]]


def _outside(scenarios: list[Scenario], family: str, inside: bool = False) -> list[Scenario]:
    return [s for s in scenarios if (family_of(s.primary_typology) == family) == inside]


def training_set(cfg: ExperimentConfig, out: Path, kind: str, held: int) -> list[Scenario]:
    """The scenarios of training set ``kind`` for held-out seed ``held`` (see the module)."""
    fam, others = cfg.retrain.heldout_family, [s for s in cfg.seeds if s != held]
    elites = _outside([e for s in others for e in _elites(cfg, out, s)], fam)
    n = len(elites)
    b_seed = cfg.loop.world.generate.seed + cfg.heldout.seed_offset
    rng = np.random.default_rng([b_seed, held, TRAIN_SETS.index(kind)])
    if kind == "elites":
        return elites
    if kind == "drafts":
        pool = _outside(
            [Scenario.model_validate_json(d) for s in others
             for d in load_cell(out, f"evolve/{cfg.retrain.arm}-s{s}")["drafts"]], fam)
        if not pool:
            return []
        idx = rng.choice(len(pool), size=n, replace=n > len(pool))
        return [pool[i] for i in sorted(idx.tolist())]
    lib = library()
    names = sorted(t for t in lib if family_of(Typology(lib[t].typology[0])) != fam)
    return [lib[names[i % len(names)]].sample(rng) for i in range(n)]


def _copies(scenarios: list[Scenario], world, window: tuple[int, int], copies: int, base: int) -> list:
    """Each scenario compiled ``copies`` times into ``window``, each copy its own scenario id."""
    out = []
    for i, s in enumerate(scenarios):
        for k in range(copies):
            copy = s.model_copy(update={"name": f"{s.name} #{base}.{i}.{k}"[:120]})
            try:
                out.append(compile_scenario(copy, world, base + 100 * i + k, window=window))
            except ScenarioError:
                continue
    return out


def test_sets(cfg: ExperimentConfig, out: Path, held: int) -> dict[str, list[Scenario]]:
    fam, elites, base = cfg.retrain.heldout_family, _elites(cfg, out, held), baseline_group(cfg)
    return {"elites": _outside(elites, fam), "baseline": _outside(base, fam),
            "family_elites": _outside(elites, fam, True), "family_baseline": _outside(base, fam, True)}


def retrain_cell(cfg: ExperimentConfig, out: Path, det: str, kind: str, held: int) -> dict:
    """Train ``det`` on B plus copies of training set ``kind`` (held-out seed ``held``) and
    score the test sets; returns their records, the thresholds and what was trained on."""
    world, _, split = _split_b(out)
    scenarios = training_set(cfg, out, kind, held)
    extra = _copies(scenarios, world, (int(world.start_epoch), int(split.t_val)), cfg.retrain.copies, 5000)
    extra += _copies(scenarios, world, (int(split.t_val), int(split.t_test)), cfg.retrain.val_copies, 7000)
    armed, window, _ = arm_detector(world, det.split("@")[0], cfg.heldout.detectors[det], cfg.heldout.budget,
                                    extra, label=det, budgets=cfg.heldout.budgets)
    b = HeldOut(world, window, [armed], cfg.heldout.budget)
    tested = {}
    for name, group in test_sets(cfg, out, held).items():
        outcomes, failed = b.evaluate_all(group, cfg.heldout.compile_seed, cfg.heldout.placements)
        tested[name] = {"records": [record(o, det) for o in outcomes], "failed": failed}
    return {"scenarios": len(scenarios), "compiled": len(extra), "thresholds": armed.thresholds,
            "threshold": armed.threshold, "tested": tested}


__all__ = ["TRAIN_SETS", "retrain_cell", "test_sets", "training_set"]
