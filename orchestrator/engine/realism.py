"""The run's realism discriminator: fitted before the first round on baseline typology
instances, refitted every `realism.period` rounds on those plus the run's recent scenarios,
each fit saved as ``realism/rNNNN.json`` (the critics load the newest one).

Deterministic for a config and a store, so a resumed run refits exactly as before.
"""

from __future__ import annotations

from pathlib import Path

from detectors.discriminator import RealismDiscriminator
from graph_schema import ScenarioError, compile_scenario
from graph_schema.baseline import sample_baseline
from graph_schema.formats import read_world
from orchestrator.engine.config import RunConfig
from orchestrator.engine.defender import world_dir
from orchestrator.engine.layout import RunLayout


def fit_realism(run_dir: Path, cfg: RunConfig, round_: int, scenarios: list) -> tuple[Path, dict]:
    """Fit and save the discriminator of round ``round_``; returns its file and what it was fitted on."""
    world = read_world(world_dir(run_dir, cfg))
    rc = cfg.realism
    compiled = sample_baseline(world, 10**9, cfg.seed + 7, limit=rc.templates)
    run = []
    for s in scenarios:
        try:
            run.append(compile_scenario(s, world, cfg.agents.compile_seed))
        except (ScenarioError, ValueError):
            continue
    d = RealismDiscriminator(world, rc.controls, rc.trees, cfg.seed).fit(compiled + run)
    info = {"round": round_, "templates": len(compiled), "run_scenarios": len(run)}
    return d.save(RunLayout.of(run_dir).realism_fit(round_), info), info


def load_realism(run_dir: Path, cfg: RunConfig, world) -> RealismDiscriminator | None:
    """The newest fitted discriminator of the run (None if the run has it off or none is fitted yet)."""
    if not cfg.realism.enabled:
        return None
    path = RunLayout.of(run_dir).latest_realism()
    return RealismDiscriminator.load(path, world) if path is not None else None


__all__ = ["fit_realism", "load_realism"]
