"""Ray actors around the roles, defined once at module level, and the pools the
supervisor calls. State lives inside the actors: each adversary actor loads the World
graph and the detectors once and keeps them until told to reload a new version."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import ray

from agents import ROLE_NAMES, build_roles
from graph_schema.dsl import Scenario
from graph_schema.formats import read_world
from graph_schema.world import second_world
from orchestrator.engine.config import RunConfig
from orchestrator.engine.defender import (
    load_detectors,
    load_world_scores,
    train_detectors,
    world_dir,
)
from orchestrator.engine.layout import RunLayout
from orchestrator.engine.realism import fit_realism, load_realism
from orchestrator.engine.roles import RoleHost


def make_role(role: str, cfg: RunConfig, run_dir: Path, version: int):
    """The role object of ``role`` for this run (procedural or LLM, as configured)."""
    world = read_world(world_dir(run_dir, cfg))
    adversary = role == "adversary"
    detectors, reference = load_detectors(run_dir, cfg, version) if adversary else ({}, {})
    critic = role == "critic"
    second = second_world(world.config) if critic else None
    roles = build_roles(cfg.agents, world, detectors, {n: f"v{version}" for n in {**detectors, **reference}},
                        cache_path=RunLayout.of(run_dir).llm_cache, only=(role,), second=second,
                        critic_gate=cfg.stages.critic_gate, reference=reference,
                        reference_budget=cfg.contrastive.budget,
                        world_scores=load_world_scores(run_dir, version) if adversary else None,
                        discriminator=load_realism(run_dir, cfg, world) if critic else None)
    return getattr(roles, role)


def make_host(role: str, cfg: RunConfig, run_dir: Path, version: int) -> RoleHost:
    return RoleHost(role, make_role(role, cfg, run_dir, version), cfg.faults, hang_s=cfg.call_timeout_s * 3,
                    timeout_s=cfg.call_timeout_s, seed=cfg.seed)


@ray.remote
class RoleActor:
    """One role of the run, in its own process."""

    def __init__(self, role: str, cfg_json: str, run_dir: str, version: int, threads: int):
        os.environ["OMP_NUM_THREADS"] = str(threads)
        import torch

        torch.set_num_threads(threads)
        self.role, self.cfg, self.run_dir = role, RunConfig.model_validate_json(cfg_json), Path(run_dir)
        self.host = make_host(role, self.cfg, self.run_dir, version)

    async def call(self, method: str, args: tuple):
        return await self.host.call(method, args)

    async def reload(self, version: int) -> bool:
        """Use detector ``version`` (adversary actors), or the newest realism discriminator
        (critic actors), from now on."""
        obj = await asyncio.to_thread(make_role, self.role, self.cfg, self.run_dir, version)
        self.host.swap(obj)
        return True

    def ready(self) -> bool:
        return True


@ray.remote(num_cpus=1, max_calls=1)  # the worker exits after training, returning its memory
def retrain_task(cfg_json: str, run_dir: str, version: int, elites_json: list[str]):
    cfg = RunConfig.model_validate_json(cfg_json)
    elites = [Scenario.model_validate_json(s) for s in elites_json]
    path, metrics = train_detectors(Path(run_dir), cfg, version, elites)
    return str(path), metrics


@ray.remote(num_cpus=1, max_calls=1)
def realism_task(cfg_json: str, run_dir: str, round_: int, scenarios_json: list[str]):
    cfg = RunConfig.model_validate_json(cfg_json)
    scenarios = [Scenario.model_validate_json(s) for s in scenarios_json]
    path, info = fit_realism(Path(run_dir), cfg, round_, scenarios)
    return str(path), info


def start_pools(cfg: RunConfig, run_dir: Path, version: int) -> dict[str, list]:
    """Actor pools per role, with the counts of ``cfg.actors``; waits until all are ready."""
    pools = {}
    for role in ROLE_NAMES:
        n = getattr(cfg.actors, role)
        pools[role] = [
            RoleActor.options(num_cpus=0).remote(
                role, cfg.model_dump_json(), str(run_dir), version, cfg.actors.threads
            )
            for _ in range(n)
        ]
    ray.get([a.ready.remote() for pool in pools.values() for a in pool])
    return pools


__all__ = ["RoleActor", "make_host", "make_role", "realism_task", "retrain_task", "start_pools"]
