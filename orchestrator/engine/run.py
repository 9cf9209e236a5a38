"""Running a run: set-up, the supervisor's rounds, signals and the STOP file.

Ctrl-C, SIGTERM and `redledger stop` (which writes `STOP`) all stop gracefully: debates in
flight finish and are stored, no new one starts, and `redledger resume` continues.
Opening, resuming and stopping a run directory live in `rundir`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from orchestrator.engine.config import RunConfig
from orchestrator.engine.defender import prepare_world, trained_names
from orchestrator.engine.hosts import hosts_for
from orchestrator.engine.layout import RunLayout
from orchestrator.engine.progress import Progress
from orchestrator.engine.ray_session import ray_session
from orchestrator.engine.roles import RoleCalls
from orchestrator.engine.store import RunStore
from orchestrator.engine.supervisor import RunOutcome, Supervisor


async def execute(run_dir: Path, store: RunStore, cfg: RunConfig, ray_address: str | None = None,
                  inline: bool = False, on_progress: Callable[[Progress], None] | None = None,
                  on_step: Callable[[str], None] | None = None) -> str:
    """Run ``cfg`` in ``run_dir`` until its budgets end or a stop; returns the final status.

    ``inline`` runs the roles in this process instead of Ray actors (tests, debugging);
    ``ray_address`` joins a cluster instead of starting Ray; ``on_step`` hears each step
    of the set-up, before the first round.
    """
    step = on_step or (lambda _message: None)
    layout = RunLayout.of(run_dir, cfg)
    layout.stop.unlink(missing_ok=True)
    _mark(store, "setting up")
    step("reading the World" if (layout.world / "world.json").exists() else "generating the World")
    prepare_world(run_dir, cfg)
    if not inline:
        step(f"joining Ray at {ray_address}" if ray_address else "starting Ray")
    with contextlib.nullcontext() if inline else ray_session(ray_address):
        hosts = hosts_for(cfg, run_dir, inline)
        version = store.detector_version()
        if version == 0 and not store.has_detector_version(version=0):
            step(f"training detectors {', '.join(trained_names(cfg))}")
            path, metrics = await hosts.train(0)
            store.record_detector_version(0, -1, str(path), metrics)
        if cfg.realism.enabled and layout.latest_realism() is None:
            step(f"fitting the realism discriminator on {cfg.realism.templates} baseline instances")
            await hosts.refit_realism(-1, [], version)
        step("starting the roles" + ("" if inline else " (Ray actors)"))
        calls = RoleCalls(hosts.start(version), timeout_s=cfg.call_timeout_s)
        sup = Supervisor(cfg, store, calls, hosts.retrain, _saving(store, on_progress), hosts.refit_realism)
        _mark(store, "running")
        with _stop_signals(sup):
            status = await _until_stopped(sup, layout)
    store.set_meta("status", _final_status(sup, status))
    layout.stop.unlink(missing_ok=True)
    return status


def _mark(store: RunStore, status: str) -> None:
    store.set_meta("status", status)
    store.set_meta("pid", str(os.getpid()))


def _saving(
    store: RunStore, on_progress: Callable[[Progress], None] | None
) -> Callable[[Progress], bool | None]:
    """The supervisor's progress callback: saves it (at most twice a second, and at every
    round close), then tells ``on_progress``."""
    last = [0.0]

    def progress(p: Progress) -> bool | None:
        if time.monotonic() - last[0] > 0.5 or p.status == "round closed":
            last[0] = time.monotonic()
            store.save_progress(p)
        return on_progress(p) if on_progress else None

    return progress


@contextlib.contextmanager
def _stop_signals(sup: Supervisor) -> Iterator[None]:
    """SIGINT and SIGTERM ask ``sup`` to stop gracefully while the block runs."""
    loop = asyncio.get_running_loop()
    sigs = (signal.SIGINT, signal.SIGTERM)
    for sig in sigs:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread
            loop.add_signal_handler(sig, sup.stop)
    try:
        yield
    finally:
        for sig in sigs:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(sig)


async def _until_stopped(sup: Supervisor, layout: RunLayout) -> str:
    """The supervisor's rounds, stopped gracefully when the STOP file appears."""

    async def watch_stop_file():
        while not sup.stop_requested:
            if layout.stop.exists():
                sup.stop()
            await asyncio.sleep(0.3)

    watcher = asyncio.create_task(watch_stop_file())
    try:
        return await sup.run()
    finally:
        watcher.cancel()


def _final_status(sup: Supervisor, status: str) -> str:
    if status is RunOutcome.FAILING:
        return f"failed: {sup.failure_cause}"
    return status if status in ("finished", "stopped") else f"stopped: {status}"


__all__ = ["execute"]
