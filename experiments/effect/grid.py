"""Running an experiment grid: cells in dependency order, as Ray tasks or inline, each stored
atomically as it finishes; an experiment run again on the same output directory skips the
stored cells (resume). The output directory is tied to its config by the config's digest.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from experiments.effect import cells
from experiments.effect.config import ExperimentConfig
from experiments.effect.evolve import LoopInterrupted
from graph_schema.formats.atomic import write_text_atomic
from orchestrator.run import first_difference

MANIFEST = "experiment.json"


class OutDirError(ValueError):
    """The output directory belongs to another experiment config (one line)."""


class CellFailed(RuntimeError):
    """A cell raised: its key and the one-line cause (the cells stored so far stay)."""

    def __init__(self, key: str, err: BaseException):
        cause = getattr(err, "cause", None) or err  # Ray wraps the task's exception
        text = " ".join(str(cause).split())[:500]
        super().__init__(f"cell {key} failed: {type(cause).__name__}: {text}")
        self.key = key


@dataclass(frozen=True)
class Cell:
    key: str
    deps: tuple[str, ...] = ()
    weight: float = 1.0  # rough relative cost, so long cells start first


@dataclass
class Plan:
    cells: list[Cell] = field(default_factory=list)

    def keys(self) -> list[str]:
        return [c.key for c in self.cells]


def plan(cfg: ExperimentConfig) -> Plan:
    """Every cell of the grid, with its dependencies."""
    dets = list(cfg.heldout.detectors)
    runs = [f"{a}-s{s}" for a in cfg.arms for s in cfg.seeds]
    p = Plan()
    p.cells += [Cell(f"evolve/{r}", (), 10.0) for r in runs]
    p.cells += [Cell(f"heldout/{d}", (), 3.0) for d in dets]
    for g in ["baseline", *runs]:
        deps = () if g == "baseline" else (f"evolve/{g}",)
        p.cells += [Cell(f"measure/{g}/{d}", (*deps, f"heldout/{d}"), 1.0) for d in dets]
    if cfg.realism.enabled:
        first = f"heldout/{dets[0]}"
        p.cells.append(Cell("realism/baseline", (first,), 1.0))
        p.cells += [Cell(f"realism/{a}", (first, *(f"evolve/{a}-s{s}" for s in cfg.seeds)), 1.0) for a in cfg.arms]
    if cfg.retrain.enabled:
        seeds = cfg.seeds
        pairs = [(seeds[i], seeds[(i + 1) % len(seeds)]) for i in range(len(seeds))]
        a = cfg.retrain.arm
        p.cells += [Cell(f"retrain/{d}/{s1}-{s2}", (f"heldout/{d}", f"evolve/{a}-s{s1}", f"evolve/{a}-s{s2}"), 3.0)
                    for d in cfg.retrain.detectors for s1, s2 in pairs]
    return p


def run_cell(cfg_json: str, out: str, key: str) -> tuple[str, float]:
    """Compute one cell and store its result atomically; returns (key, seconds)."""
    cfg, out_p = ExperimentConfig.model_validate_json(cfg_json), Path(out)
    t0 = time.monotonic()
    kind, *rest = key.split("/")
    if kind == "heldout":
        result = cells.heldout_cell(cfg, out_p, rest[0])
    elif kind == "evolve":
        arm, seed = rest[0].rsplit("-s", 1)
        result = cells.evolve_cell(cfg, out_p, arm, int(seed))
    elif kind == "measure":
        result = cells.measure_cell(cfg, out_p, rest[0], rest[1])
    elif kind == "realism":
        result = cells.realism_cell(cfg, out_p, rest[0])
    elif kind == "retrain":
        s1, s2 = rest[1].split("-")
        result = cells.retrain_cell(cfg, out_p, rest[0], int(s1), int(s2))
    else:
        raise ValueError(f"unknown cell kind '{kind}'")
    seconds = round(time.monotonic() - t0, 2)
    path = cells.cell_path(out_p, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps({"key": key, "seconds": seconds, "result": result}))
    return key, seconds


def open_out(cfg: ExperimentConfig, out: Path, source_text: str | None) -> None:
    """Create ``out`` for ``cfg`` or check that it belongs to ``cfg``; keep the configs used.

    Raises:
        OutDirError: ``out`` holds another experiment's cells.
    """
    manifest = out / MANIFEST
    if manifest.exists():
        stored = json.loads(manifest.read_text())
        if stored["digest"] != cfg.digest():
            diff = first_difference(stored["config"], cfg.model_dump(mode="json"))
            raise OutDirError(f"{out}: this directory belongs to another experiment config; first difference: {diff}")
        return
    out.mkdir(parents=True, exist_ok=True)
    if source_text is not None:
        write_text_atomic(out / "config.toml", source_text)
    write_text_atomic(manifest, json.dumps({"digest": cfg.digest(), "config": cfg.model_dump(mode="json")}, indent=1))


def pending(p: Plan, out: Path) -> list[Cell]:
    return [c for c in p.cells if not cells.cell_path(out, c.key).exists()]


def execute(cfg: ExperimentConfig, out: Path, ray_address: str | None = None,
            on_event: Callable[[str, str, int, int], None] | None = None,
            should_stop: Callable[[], bool] = lambda: False) -> list[str]:
    """Run the cells not stored yet; returns the keys still missing (empty when complete).

    ``on_event(event, key, done, total)`` reports "start" and "done" of each cell. Cells run
    as Ray tasks when ``cfg.workers`` > 1 or ``ray_address`` is given, else inline.
    """
    cells.prepare_worlds(cfg, out)
    p = plan(cfg)
    todo = {c.key: c for c in pending(p, out)}
    done = set(p.keys()) - set(todo)
    total = len(p.cells)
    event = on_event or (lambda *a: None)
    cfg_json = cfg.model_dump_json()

    def ready() -> list[Cell]:
        return sorted((c for c in todo.values() if all(d in done for d in c.deps)), key=lambda c: -c.weight)

    if cfg.workers <= 1 and ray_address is None:
        while todo and not should_stop():
            c = ready()[0]
            event("start", c.key, len(done), total)
            try:
                run_cell(cfg_json, str(out), c.key)
            except (LoopInterrupted, KeyboardInterrupt):
                # Ctrl-C reached the loop's own handler, or Python's: the cell is not stored
                # (cells are written only when complete), so running again resumes it
                event("stopped", c.key, len(done), total)
                break
            except Exception as err:  # noqa: BLE001 - reported in one line, the stored cells stay
                raise CellFailed(c.key, err) from err
            done.add(c.key)
            del todo[c.key]
            event("done", c.key, len(done), total)
        return sorted(todo)
    import ray

    started = False
    if not ray.is_initialized():
        env = {"OMP_NUM_THREADS": "1"}  # one thread per cell is fastest when cells share the cores
        if ray_address:
            ray.init(address=ray_address, log_to_driver=False, runtime_env={"env_vars": env})
        else:
            ray.init(num_cpus=cfg.workers, include_dashboard=False, log_to_driver=False,
                     runtime_env={"env_vars": env})
        started = True
    remote = ray.remote(num_cpus=1, max_retries=0)(run_cell)
    running: dict = {}
    try:
        while (todo or running) and not (should_stop() and not running):
            if not should_stop():
                for c in ready():
                    if len(running) >= cfg.workers:
                        break
                    if c.key in running.values():
                        continue
                    running[remote.remote(cfg_json, str(out), c.key)] = c.key
                    event("start", c.key, len(done), total)
            if not running:
                break
            finished, _ = ray.wait(list(running), num_returns=1, timeout=1.0)
            for ref in finished:
                key = running.pop(ref)
                try:
                    ray.get(ref)
                except Exception as err:  # noqa: BLE001 - the cells in flight are cancelled by the shutdown
                    raise CellFailed(key, err) from err
                done.add(key)
                todo.pop(key, None)
                event("done", key, len(done), total)
    finally:
        if started:
            ray.shutdown()
    return sorted(todo)


__all__ = ["MANIFEST", "Cell", "CellFailed", "OutDirError", "Plan", "execute", "open_out", "pending", "plan", "run_cell"]
