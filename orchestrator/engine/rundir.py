"""The run directory: open or create it for a config, resume it, ask it to stop.

A run directory holds its store, tied to the config by the config's digest, the World
(if generated), detector versions and the LLM call cache (`layout.RunLayout`). A directory
whose start failed in its set-up can be taken over by a corrected config.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from orchestrator.engine.config import RunConfig, first_difference
from orchestrator.engine.layout import STORE, RunLayout
from orchestrator.engine.store import RunStore
from orchestrator.engine.view import process_alive, run_state


class RunDirError(ValueError):
    """The run directory does not fit the request (one line, naming the field)."""


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
        raise RunDirError(
            f"{run_dir}: this run directory belongs to a different config; first difference: {diff}"
        )
    run_dir.mkdir(parents=True, exist_ok=True)
    store = RunStore(path)
    if stored is None:
        store.init_run(cfg.model_dump_json(), cfg.digest())
    elif retie:  # a start that failed in its set-up: the corrected config takes the directory over
        keep = _same_detectors(stored, cfg)
        if stored.world != cfg.world and stored.world.path is None:
            shutil.rmtree(RunLayout.of(run_dir).generated_world, ignore_errors=True)
        if not keep:
            shutil.rmtree(RunLayout.of(run_dir).detectors, ignore_errors=True)
        store.retie_run(cfg.model_dump_json(), cfg.digest(), keep)
        stored = None
    return store, stored or cfg


def _never_ran(store: RunStore) -> bool:
    """No round, debate or scenario is stored, and no process is setting the run up."""
    counts = store.counts()
    return not process_alive(store) and not any(counts[k] for k in ("rounds", "debates", "scenarios"))


def _same_detectors(a: RunConfig, b: RunConfig) -> bool:
    """Would detector version 0 be trained the same under both configs?"""
    keys = ("seed", "world", "detectors", "contrastive")
    return all(getattr(a, k) == getattr(b, k) for k in keys)


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
        state = None if process_alive(store) else run_state(store)
    if state is None:
        RunLayout.of(run_dir).stop.write_text(str(time.time()))
    return state


__all__ = ["RunDirError", "open_run", "request_stop"]
