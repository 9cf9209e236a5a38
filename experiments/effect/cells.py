"""The cells of an experiment grid, each a plain function of (config, output directory, key)
that returns a JSON-able result. `grid` stores each result atomically as it finishes and
skips stored cells when an experiment is run again.

Kinds:
- ``heldout/DET``: train evaluation detector DET on World B's training split; its alert
  threshold comes from B's test period.
- ``evolve/ARM-sSEED``: run the loop's arm with an evolution seed in World A.
- ``measure/GROUP/DET``: score a group's scenarios (the baseline templates, or an arm-seed's
  planner drafts and elites) compiled into B's test period with DET.
- ``realism/GROUP``: the C2ST and the leak check for the baseline templates or an arm's elites.
- ``retrain/DET/SET-hSEED``: E2 (`experiments.effect.retrain`), DET retrained on B plus
  copies of training set SET (elites, drafts or templates) without seed SEED, tested on it.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np

from detectors import from_ledger, load_detector, temporal_split
from experiments.effect.config import ExperimentConfig
from experiments.effect.evolve import run_loop
from experiments.effect.hardness import record
from experiments.effect.heldout import Armed, HeldOut, arm_detector
from experiments.effect.realism import c2st, c2st_sized
from graph_schema.compiler import compile_those_that_fit
from graph_schema.dsl import Scenario
from graph_schema.families import family_of
from graph_schema.formats import read_world, write_world
from graph_schema.novelty import novelty
from graph_schema.typologies import library
from graph_schema.world import generate_world

WORLD_A, WORLD_B, CELLS = "world-A", "world-B", "cells"


def cell_path(out: Path, key: str) -> Path:
    return out / CELLS / (key.replace("/", "__") + ".json")


def load_cell(out: Path, key: str) -> dict:
    """The stored result of cell ``key``."""
    return json.loads(cell_path(out, key).read_text())["result"]


def _write_dir_once(out: Path, make) -> None:
    """Write a directory with ``make(tmp)`` and rename it into place: complete or absent."""
    if out.exists():
        return
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    make(tmp)
    tmp.rename(out)


def prepare_worlds(cfg: ExperimentConfig, out: Path) -> None:
    """World A (the loop's) and World B (held out, with baseline laundering) under ``out``."""
    from experiments.effect.heldout import heldout_world

    gen = cfg.loop.world.generate
    _write_dir_once(out / WORLD_A, lambda d: write_world(generate_world(gen), d))
    _write_dir_once(out / WORLD_B, lambda d: write_world(
        heldout_world(gen, cfg.heldout.seed_offset, cfg.heldout.training_share), d))


def baseline_group(cfg: ExperimentConfig) -> list[Scenario]:
    """The baseline group: scenarios sampled from each library template (seeded by B's seed)."""
    rng = np.random.default_rng([cfg.loop.world.generate.seed + cfg.heldout.seed_offset, 17])
    lib = library()
    return [lib[name].sample(rng) for name in sorted(lib) for _ in range(cfg.heldout.baseline_per_template)]


def _split_b(out: Path):
    world = read_world(out / WORLD_B)
    data = from_ledger(world.ledger, world.n_accounts)
    return world, data, temporal_split(data)


# ---------------------------------------------------------------- heldout/DET


def heldout_cell(cfg: ExperimentConfig, out: Path, det: str) -> dict:
    world, data, split = _split_b(out)
    t0 = time.monotonic()
    armed, window, scores = arm_detector(world, det.split("@")[0], cfg.heldout.detectors[det],
                                         cfg.heldout.budget, label=det, budgets=cfg.heldout.budgets)
    seconds = time.monotonic() - t0
    base = _baseline_test(world, data, split, scores, armed.threshold)

    def save(d: Path) -> None:
        armed.detector.save(d)
        np.save(d / "negatives.npy", armed.negatives)

    target = out / "detectors" / det
    shutil.rmtree(target, ignore_errors=True)
    _write_dir_once(target, save)
    return {"threshold": armed.threshold, "thresholds": armed.thresholds, "window": list(window),
            "train_seconds": round(seconds, 2), "baseline_test": base}


def _baseline_test(world, data, split, scores: np.ndarray, threshold: float) -> dict:
    """B's baseline laundering in its test period, per transaction: its case (scenario id),
    whether it is alerted, and its value in US dollars."""
    test_pos = split.test & data.y.astype(bool)
    cases = np.asarray(world.ledger.column("scenario_id").to_pylist(), dtype=object)[data.edge_id[test_pos]]
    return {"case": cases.tolist(), "alerted": (scores[test_pos] >= threshold).astype(int).tolist(),
            "usd": np.round(data.amount_usd[test_pos], 2).tolist()}


def load_armed(out: Path, det: str, data) -> Armed:
    """Stored detector ``det``, prepared on World B's ``data``, with its threshold and negatives."""
    meta = load_cell(out, f"heldout/{det}")
    d = out / "detectors" / det
    detector = load_detector(d)
    negatives = np.load(d / "negatives.npy")
    return Armed(det, detector, detector.prepare(data), float(meta["threshold"]), negatives,
                 dict(meta.get("thresholds", {})))


_CACHE: dict = {}  # per process (a Ray worker runs many cells): World B and armed detectors, loaded once


def load_b(cfg: ExperimentConfig, out: Path, dets: list[str]) -> HeldOut:
    """World B with the stored detectors ``dets``, cached in this process."""
    key = str(out.resolve())
    if _CACHE.get("out") != key:
        _CACHE.clear()
        world = read_world(out / WORLD_B)
        _CACHE.update(out=key, world=world, data=from_ledger(world.ledger, world.n_accounts), armed={})
    armed = _CACHE["armed"]
    for d in dets:
        if d not in armed:
            armed[d] = load_armed(out, d, _CACHE["data"])
    window = tuple(load_cell(out, f"heldout/{dets[0]}")["window"])
    return HeldOut(_CACHE["world"], window, [armed[d] for d in dets], cfg.heldout.budget)


# ---------------------------------------------------------------- evolve/ARM-sSEED


def fit_days(cfg: ExperimentConfig, out: Path) -> float | None:
    """The loop's longest horizon: `heldout.window_fit` of B's test window (None: uncapped)."""
    if not cfg.heldout.window_fit:
        return None
    world, _, split = _split_b(out)
    return round((int(world.end_epoch) - int(split.t_test)) / 86_400 * cfg.heldout.window_fit, 3)


def evolve_cell(cfg: ExperimentConfig, out: Path, arm: str, seed: int) -> dict:
    run_cfg = cfg.run_config(arm, seed)
    cap, own = fit_days(cfg, out), run_cfg.agents.max_horizon_days
    agents = run_cfg.agents.model_copy(update={"max_horizon_days": min(x for x in (cap, own, 365.0) if x)})
    run_cfg = run_cfg.model_copy(update={"world": run_cfg.world.model_copy(update={"path": out / WORLD_A}),
                                         "agents": agents})
    return run_loop(run_cfg, out / "runs" / f"{arm}-s{seed}")


# ---------------------------------------------------------------- measure/GROUP/DET


def group_scenarios(cfg: ExperimentConfig, out: Path, group: str) -> dict[str, list[Scenario]]:
    """The scenarios of a group by kind: ``baseline``, or an arm-seed's ``drafts`` and ``elites``."""
    if group == "baseline":
        return {"baseline": baseline_group(cfg)}
    ev = load_cell(out, f"evolve/{group}")
    drafts, cap = ev["drafts"], cfg.heldout.max_drafts
    if cap is not None and len(drafts) > cap:
        b_seed = cfg.loop.world.generate.seed + cfg.heldout.seed_offset
        rng = np.random.default_rng([b_seed, 23, *group.encode()])
        drafts = [drafts[i] for i in sorted(rng.choice(len(drafts), size=cap, replace=False).tolist())]
    return {
        "drafts": [Scenario.model_validate_json(d) for d in drafts],
        "elites": [Scenario.model_validate(e["scenario"]) for e in ev["elites"]],
    }


def measure_cell(cfg: ExperimentConfig, out: Path, group: str, det: str) -> dict:
    b = load_b(cfg, out, [det])
    result = {}
    for kind, scenarios in group_scenarios(cfg, out, group).items():
        outcomes, failed = b.evaluate_all(scenarios, cfg.heldout.compile_seed, cfg.heldout.placements)
        result[kind] = {"records": [record(o, det) for o in outcomes], "failed": failed}
    return result


# ---------------------------------------------------------------- realism/GROUP


def realism_cell(cfg: ExperimentConfig, out: Path, group: str) -> dict:
    world = read_world(out / WORLD_B)
    window = tuple(load_cell(out, f"heldout/{next(iter(cfg.heldout.detectors))}")["window"])
    if group == "baseline":
        scenarios = baseline_group(cfg)
    else:  # an arm: the elites of every seed
        scenarios = [
            Scenario.model_validate(e["scenario"])
            for s in cfg.seeds
            for e in load_cell(out, f"evolve/{group}-s{s}")["elites"]
        ]
    compiled = compile_those_that_fit(scenarios, world, cfg.heldout.compile_seed, window)
    if len(compiled) < 2:
        return {"error": f"only {len(compiled)} scenario(s) compile into B's test period"}
    result = c2st(
        world,
        window,
        compiled,
        cfg.realism.matched,
        seed=cfg.loop.world.generate.seed,
        resamples=cfg.resamples,
    ).as_dict()
    if 2 <= cfg.realism.sized <= len(compiled):
        result["sized"] = c2st_sized(world, window, compiled, cfg.realism.sized, cfg.realism.draws,
                                     cfg.realism.matched, seed=cfg.loop.world.generate.seed).as_dict()
    if group != "baseline":  # how far the arm's elites and drafts are from the templates' shapes
        ref = compile_those_that_fit(baseline_group(cfg), world, cfg.heldout.compile_seed, window)
        drafts = [d for s in cfg.seeds for d in group_scenarios(cfg, out, f"{group}-s{s}")["drafts"]]
        drafts_c = compile_those_that_fit(drafts, world, cfg.heldout.compile_seed, window)
        groups = (("elites", compiled), ("drafts", drafts_c))
        result["novelty"] = {kind: novelty(c, ref).summary(cfg.resamples) for kind, c in groups}
    return result


def family(typology: str) -> str:
    from graph_schema.dsl import Typology

    return family_of(Typology(typology))


__all__ = [
    "baseline_group",
    "cell_path",
    "evolve_cell",
    "family",
    "group_scenarios",
    "heldout_cell",
    "load_b",
    "load_cell",
    "measure_cell",
    "prepare_worlds",
    "realism_cell",
]
