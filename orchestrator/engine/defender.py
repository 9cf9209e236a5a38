"""Preparing a run directory: the World and the detectors each version of the defender uses.

Everything here is deterministic for a config, so that a resumed run (or a retraining
repeated after a crash) rebuilds exactly the same World and detectors.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from detectors import from_ledger, load_detector, make, temporal_split
from detectors.metrics import f1_at
from graph_schema import ScenarioError, compile_scenario, inject
from graph_schema.baseline import inject_baseline
from graph_schema.formats import read_world, write_world
from graph_schema.world import generate_world
from orchestrator.engine.config import RunConfig
from orchestrator.engine.layout import RunLayout


def world_dir(run_dir: Path, cfg: RunConfig) -> Path:
    return RunLayout.of(run_dir, cfg).world


def prepare_world(run_dir: Path, cfg: RunConfig):
    """The run's background World, generated into ``run_dir/world`` once (or read from `path`)."""
    d = world_dir(run_dir, cfg)
    if cfg.world.path is None and not (d / "world.json").exists():
        write_world(generate_world(cfg.world.generate), d)
    return read_world(d)


def detector_dir(run_dir: Path, version: int) -> Path:
    return RunLayout.of(run_dir).detector_version(version)


def trained_names(cfg: RunConfig) -> list[str]:
    """The deployed detectors, then the contrastive filter's reference detectors (if on)."""
    extra = (
        [n for n in cfg.contrastive.reference if n not in cfg.detectors.names]
        if cfg.contrastive.enabled
        else []
    )
    return list(cfg.detectors.names) + extra


def train_detectors(
    run_dir: Path, cfg: RunConfig, version: int, elites: list | None = None
) -> tuple[Path, dict]:
    """Train and save detector ``version`` on the World with baseline typologies, plus the
    given elite scenarios (co-evolution). Returns its directory and validation metrics."""
    world = read_world(world_dir(run_dir, cfg))
    labelled = inject_baseline(world, cfg.detectors.training_share, cfg.seed + version)
    compiled = []
    for i, s in enumerate(elites or []):
        try:
            compiled.append(compile_scenario(s, labelled, seed=1000 + i))
        except (ScenarioError, ValueError):
            continue
    if compiled:
        labelled = inject(labelled, compiled)
    data = from_ledger(labelled.ledger, labelled.n_accounts)
    split = temporal_split(data)
    out = detector_dir(run_dir, version)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    metrics = {"elites": len(compiled)}
    plain = from_ledger(world.ledger, world.n_accounts)
    for name in trained_names(cfg):
        det = make(name, **cfg.detectors.overrides.get(name, {}))
        det.fit(data, split)
        det.save(tmp / name)
        test = split.test
        metrics[name] = round(float(f1_at(data.y[test], det.score(data)[test], det.threshold)[0]), 4)
        save_world_scores(tmp, name, det.score(plain))
    (tmp / "metrics.json").write_text(json.dumps(metrics, sort_keys=True))
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)  # a version directory is complete or absent
    return out, metrics


def save_world_scores(version_dir: Path, name: str, scores) -> None:
    """Detector ``name``'s scores of the run's World (without typologies), which every
    adversary needs for its alert thresholds; saved here, the adversaries skip a full-World
    scoring pass, their largest memory peak."""
    d = version_dir / "world_scores"
    d.mkdir(parents=True, exist_ok=True)
    np.save(d / f"{name}.npy", np.sort(np.asarray(scores, dtype=np.float32)))


def load_world_scores(run_dir: Path, version: int) -> dict[str, np.ndarray]:
    """The saved World scores of detector ``version`` by name (none for older run dirs)."""
    d = detector_dir(run_dir, version) / "world_scores"
    return {p.stem: np.load(p) for p in sorted(d.glob("*.npy"))} if d.is_dir() else {}


def load_detectors(run_dir: Path, cfg: RunConfig, version: int) -> tuple[dict, dict]:
    """(deployed detectors, reference detectors of the contrastive filter) by name."""
    d = detector_dir(run_dir, version)
    loaded = {name: load_detector(d / name) for name in trained_names(cfg)}
    # a reference detector that is also deployed already counts in the ensemble as deployed
    ref = (
        [n for n in cfg.contrastive.reference if n not in cfg.detectors.names]
        if cfg.contrastive.enabled
        else []
    )
    return {n: loaded[n] for n in cfg.detectors.names}, {n: loaded[n] for n in ref}


__all__ = [
    "detector_dir",
    "load_detectors",
    "load_world_scores",
    "prepare_world",
    "save_world_scores",
    "train_detectors",
    "trained_names",
    "world_dir",
]
