"""Where the roles run: in this process (`InlineHosts`, for tests and debugging) or in Ray
actors (`RayHosts`). `execute` sees one interface: train a detector version, start the
role pools, retrain (train, then point every adversary at the new version), and refit the
realism discriminator (fit, then point every critic at it)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from agents import ROLE_NAMES
from orchestrator.engine.config import RunConfig
from orchestrator.engine.defender import train_detectors
from orchestrator.engine.realism import fit_realism


class InlineHosts:
    """Roles as plain objects in this process; training in a worker thread."""

    def __init__(self, cfg: RunConfig, run_dir: Path):
        self.cfg, self.run_dir = cfg, run_dir
        self.pools: dict[str, list] = {}

    async def train(self, version: int, elites: list | None = None) -> tuple[Path, dict]:
        return await asyncio.to_thread(train_detectors, self.run_dir, self.cfg, version, elites)

    def start(self, version: int) -> dict[str, list]:
        from orchestrator.engine.actors import make_host

        self.pools = {
            r: [make_host(r, self.cfg, self.run_dir, version) for _ in range(getattr(self.cfg.actors, r))]
            for r in ROLE_NAMES
        }
        return self.pools

    async def retrain(self, version: int, elites: list) -> tuple[Path, dict]:
        from orchestrator.engine.actors import make_role

        path, metrics = await self.train(version, elites)
        for host in self.pools["adversary"]:
            host.swap(await asyncio.to_thread(make_role, "adversary", self.cfg, self.run_dir, version))
        return path, metrics

    async def refit_realism(self, round_: int, scenarios: list, version: int = 0) -> tuple[Path, dict]:
        """Fit the realism discriminator of ``round_`` and make every critic use it."""
        from orchestrator.engine.actors import make_role

        path, info = await asyncio.to_thread(fit_realism, self.run_dir, self.cfg, round_, scenarios)
        for host in self.pools.get("critic", []):
            host.swap(await asyncio.to_thread(make_role, "critic", self.cfg, self.run_dir, version))
        return path, info


class RayHosts:
    """Roles in Ray actors; training in a Ray task whose worker exits afterwards, so the
    driver never holds training memory. Needs a Ray session (`ray_session`)."""

    def __init__(self, cfg: RunConfig, run_dir: Path):
        self.cfg, self.run_dir = cfg, run_dir
        self.pools: dict[str, list] = {}

    async def train(self, version: int, elites: list | None = None) -> tuple[Path, dict]:
        from orchestrator.engine.actors import retrain_task

        path, metrics = await retrain_task.remote(
            self.cfg.model_dump_json(),
            str(self.run_dir),
            version,
            [s.model_dump_json() for s in elites or []],
        )
        return Path(path), metrics

    def start(self, version: int) -> dict[str, list]:
        from orchestrator.engine.actors import start_pools

        self.pools = start_pools(self.cfg, self.run_dir, version)
        return self.pools

    async def retrain(self, version: int, elites: list) -> tuple[Path, dict]:
        path, metrics = await self.train(version, elites)
        await asyncio.gather(*[a.reload.remote(version) for a in self.pools["adversary"]])
        return path, metrics

    async def refit_realism(self, round_: int, scenarios: list, version: int = 0) -> tuple[Path, dict]:
        """Fit the realism discriminator of ``round_`` in a Ray task and make every critic use it."""
        from orchestrator.engine.actors import realism_task

        path, info = await realism_task.remote(
            self.cfg.model_dump_json(), str(self.run_dir), round_, [s.model_dump_json() for s in scenarios]
        )
        await asyncio.gather(*[a.reload.remote(version) for a in self.pools.get("critic", [])])
        return Path(path), info


def hosts_for(cfg: RunConfig, run_dir: Path, inline: bool) -> InlineHosts | RayHosts:
    return InlineHosts(cfg, run_dir) if inline else RayHosts(cfg, run_dir)


__all__ = ["InlineHosts", "RayHosts", "hosts_for"]
