"""Starting, resuming and stopping a run: the run directory, Ray, signals, the STOP file.

A run directory holds `run.sqlite` (the store, tied to the config by its digest), the
World (if generated), detector versions under `detectors/`, and the LLM call cache.
Ctrl-C, SIGTERM and `redledger stop` (which writes `STOP`) all stop gracefully: debates in
flight finish and are stored, no new one starts, and `redledger resume` continues.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import time
from collections.abc import Callable
from pathlib import Path

from orchestrator.config import RunConfig
from orchestrator.inspect import pid_alive, run_state
from orchestrator.roles import RoleCalls
from orchestrator.setup import prepare_world, train_detectors, trained_names, world_dir
from orchestrator.store import STORE, RunStore
from orchestrator.supervisor import Progress, RunOutcome, Supervisor

STOP = "STOP"


class RunDirError(ValueError):
    """The run directory does not fit the request (one line, naming the field)."""


def first_difference(a: dict, b: dict, prefix: str = "") -> str | None:
    for k in sorted(set(a) | set(b)):
        x, y = a.get(k), b.get(k)
        if isinstance(x, dict) and isinstance(y, dict):
            d = first_difference(x, y, f"{prefix}{k}.")
            if d:
                return d
        elif x != y:
            return f"{prefix}{k} ({json.dumps(y)} here, {json.dumps(x)} in the run)"
    return None


def open_run(run_dir: Path, cfg: RunConfig | None) -> tuple[RunStore, RunConfig]:
    """Open (or create) the store of ``run_dir``; ``cfg`` None means resume its own config.

    An existing store is first read in full, read-only; a store that cannot be read is
    refused before anything is written to it.

    Raises:
        RunDirError: no run there to resume, or the run belongs to another config.
        StoreError: the store exists but cannot be read.
    """
    path = run_dir / STORE
    if cfg is None and not path.exists():
        raise RunDirError(f"{run_dir}: no run to resume here ({STORE} is missing)")
    stored, fresh = None, False
    if path.exists():
        with RunStore(path, readonly=True) as check:
            stored = check.config()
            fresh = _never_ran(check)
    retie = cfg is not None and stored is not None and stored.digest() != cfg.digest()
    if retie and not fresh:
        diff = first_difference(stored.model_dump(mode="json"), cfg.model_dump(mode="json"))
        raise RunDirError(f"{run_dir}: this run directory belongs to a different config; first difference: {diff}")
    run_dir.mkdir(parents=True, exist_ok=True)
    store = RunStore(path)
    if stored is None:
        store.init_run(cfg.model_dump_json(), cfg.digest())
    elif retie:  # a start that failed in its set-up: the corrected config takes the directory over
        keep = _same_detectors(stored, cfg)
        if stored.world != cfg.world and stored.world.path is None:
            shutil.rmtree(run_dir / "world", ignore_errors=True)
        if not keep:
            shutil.rmtree(run_dir / "detectors", ignore_errors=True)
        store.retie_run(cfg.model_dump_json(), cfg.digest(), keep)
        stored = None
    return store, stored or cfg


def _never_ran(store: RunStore) -> bool:
    """No round, debate or scenario is stored, and no process is setting the run up."""
    counts = store.counts()
    busy = store.get_meta("status") in ("setting up", "running") and pid_alive(store.get_meta("pid"))
    return not busy and not any(counts[k] for k in ("rounds", "debates", "scenarios"))


def _same_detectors(a: RunConfig, b: RunConfig) -> bool:
    """Would detector version 0 be trained the same under both configs?"""
    keys = ("seed", "world", "detectors", "contrastive")
    return all(getattr(a, k) == getattr(b, k) for k in keys)


def _pools_inline(cfg: RunConfig, run_dir: Path, version: int) -> dict:
    from orchestrator.actors import ROLES, make_host

    return {r: [make_host(r, cfg, run_dir, version) for _ in range(getattr(cfg.actors, r))] for r in ROLES}


async def execute(run_dir: Path, store: RunStore, cfg: RunConfig, ray_address: str | None = None,
                  inline: bool = False, on_progress: Callable[[Progress], None] | None = None,
                  on_step: Callable[[str], None] | None = None) -> str:
    """Run ``cfg`` in ``run_dir`` until its budgets end or a stop; returns the final status.

    ``inline`` runs the roles in this process instead of Ray actors (tests, debugging);
    ``on_step`` hears each step of the set-up, before the first round.
    """
    step = on_step or (lambda _m: None)
    (run_dir / STOP).unlink(missing_ok=True)
    store.set_meta("status", "setting up")
    store.set_meta("pid", str(os.getpid()))
    step("reading the World" if (world_dir(run_dir, cfg) / "world.json").exists() else "generating the World")
    prepare_world(run_dir, cfg)
    version = store.detector_version()
    started_ray = False
    if not inline:
        step(f"joining Ray at {ray_address}" if ray_address else "starting Ray")
        import ray

        if not ray.is_initialized():
            if ray_address:
                ray.init(address=ray_address, log_to_driver=False)
            else:
                ray.init(num_cpus=os.cpu_count() or 2, include_dashboard=False, log_to_driver=False)
            started_ray = True
    if version == 0 and not store.has_detector_version(version=0):
        step(f"training detectors {', '.join(trained_names(cfg))}")
        if inline:
            path, metrics = await asyncio.to_thread(train_detectors, run_dir, cfg, 0)
        else:  # in a Ray worker that exits afterwards, so the driver never holds training memory
            from orchestrator.actors import retrain_task

            path, metrics = await retrain_task.remote(cfg.model_dump_json(), str(run_dir), 0, [])
        store.record_detector_version(0, -1, str(path), metrics)
    step("starting the roles" + ("" if inline else " (Ray actors)"))
    if inline:
        pools = _pools_inline(cfg, run_dir, version)
    else:
        from orchestrator.actors import start_pools

        pools = start_pools(cfg, run_dir, version)
    calls = RoleCalls(pools, timeout_s=cfg.call_timeout_s)

    async def retrain(v: int, elites: list):
        if inline:
            path, metrics = await asyncio.to_thread(train_detectors, run_dir, cfg, v, elites)
            from orchestrator.actors import make_role
            for host in pools["adversary"]:
                host.swap(await asyncio.to_thread(make_role, "adversary", cfg, run_dir, v))
            return path, metrics
        from orchestrator.actors import retrain_task

        path, metrics = await retrain_task.remote(cfg.model_dump_json(), str(run_dir), v,
                                                  [s.model_dump_json() for s in elites])
        await asyncio.gather(*[a.reload.remote(v) for a in pools["adversary"]])
        return path, metrics

    last_write = [0.0]

    def progress(p: Progress) -> bool | None:
        if time.monotonic() - last_write[0] > 0.5 or p.status == "round closed":
            last_write[0] = time.monotonic()
            store.set_meta("progress", json.dumps({**p.__dict__, "time": time.time()}))
        return on_progress(p) if on_progress else None

    sup = Supervisor(cfg, store, calls, retrain, progress)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread
            loop.add_signal_handler(sig, sup.stop)

    async def watch_stop_file():
        while not sup.stop_requested:
            if (run_dir / STOP).exists():
                sup.stop()
            await asyncio.sleep(0.3)

    watcher = asyncio.create_task(watch_stop_file())
    store.set_meta("status", "running")
    store.set_meta("pid", str(os.getpid()))
    try:
        status = await sup.run()
    finally:
        watcher.cancel()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(sig)
        if started_ray:
            import ray

            ray.shutdown()
    if status is RunOutcome.FAILING:
        store.set_meta("status", f"failed: {sup.failure_cause}")
    else:
        store.set_meta("status", status if status in ("finished", "stopped") else f"stopped: {status}")
    (run_dir / STOP).unlink(missing_ok=True)
    return status


def request_stop(run_dir: Path) -> str | None:
    """Ask a running run to stop gracefully (from another terminal).

    Returns None when the stop was requested, or, when no process runs it, the run's
    state (finished, stopped, interrupted, ...) and no stop file is written.

    Raises:
        RunDirError: no run there.
        StoreError: the run's store cannot be read (no stop file is written).
    """
    if not (run_dir / STORE).exists():
        raise RunDirError(f"{run_dir}: no run here ({STORE} is missing)")
    with RunStore(run_dir / STORE, readonly=True) as store:
        store.config()
        live = store.get_meta("status") in ("running", "setting up") and pid_alive(store.get_meta("pid"))
        state = None if live else run_state(store)
    if state is None:
        (run_dir / STOP).write_text(str(time.time()))
    return state


__all__ = ["STOP", "STORE", "RunDirError", "execute", "first_difference", "open_run", "request_stop"]
