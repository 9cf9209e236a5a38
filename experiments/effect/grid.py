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
from experiments.effect.retrain import TRAIN_SETS, retrain_cell
from experiments.effect.sittings import sitting
from graph_schema.formats.atomic import write_text_atomic
from orchestrator.engine import WORKER_ENV, RayPool, first_difference, ray_session

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
        p.cells += [
            Cell(f"realism/{a}", (first, *(f"evolve/{a}-s{s}" for s in cfg.seeds)), 1.0) for a in cfg.arms
        ]
    if cfg.retrain.enabled:  # leave one seed out: trained without seed h, tested on it
        evolved = tuple(f"evolve/{cfg.retrain.arm}-s{s}" for s in cfg.seeds)
        p.cells += [
            Cell(f"retrain/{d}/{kind}-h{h}", (f"heldout/{d}", *evolved), 3.0)
            for d in cfg.retrain.detectors
            for kind in TRAIN_SETS
            for h in cfg.seeds
        ]
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
        train, held = rest[1].rsplit("-h", 1)
        result = retrain_cell(cfg, out_p, rest[0], train, int(held))
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
        if stored["digest"] != cfg.digest() and _reread(stored["config"]) == cfg.digest():
            # the config model gained fields since; at their defaults they change nothing computed
            write_text_atomic(manifest, json.dumps({"digest": cfg.digest(),
                                                    "config": cfg.model_dump(mode="json")}, indent=1))
        elif stored["digest"] != cfg.digest():
            diff = first_difference(stored["config"], cfg.model_dump(mode="json"))
            raise OutDirError(
                f"{out}: this directory belongs to another experiment config; first difference: {diff}"
            )
        return
    out.mkdir(parents=True, exist_ok=True)
    if source_text is not None:
        write_text_atomic(out / "config.toml", source_text)
    write_text_atomic(
        manifest, json.dumps({"digest": cfg.digest(), "config": cfg.model_dump(mode="json")}, indent=1)
    )


def _reread(stored: dict) -> str | None:
    """The digest of a stored config read through today's model (None if it no longer validates)."""
    try:
        return ExperimentConfig.model_validate(stored).digest()
    except ValueError:
        return None


def pending(p: Plan, out: Path) -> list[Cell]:
    return [c for c in p.cells if not cells.cell_path(out, c.key).exists()]


@dataclass
class _Progress:
    """The cells to run and those done, and the event callback, shared by both executors."""

    todo: dict[str, Cell]
    done: set[str]
    total: int
    event: Callable[[str, str, int, int], None]

    def ready(self) -> list[Cell]:
        return sorted(
            (c for c in self.todo.values() if all(d in self.done for d in c.deps)), key=lambda c: -c.weight
        )

    def finish(self, key: str) -> None:
        self.done.add(key)
        self.todo.pop(key, None)
        self.event("done", key, len(self.done), self.total)


def execute(
    cfg: ExperimentConfig,
    out: Path,
    ray_address: str | None = None,
    on_event: Callable[[str, str, int, int], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> list[str]:
    """Run the cells not stored yet; returns the keys still missing (empty when complete).

    ``on_event(event, key, done, total)`` reports "start" and "done" of each cell. Cells run
    as Ray tasks when ``cfg.workers`` > 1 or ``ray_address`` is given, else inline.
    """
    p = plan(cfg)
    todo = {c.key: c for c in pending(p, out)}
    done = set(p.keys()) - set(todo)
    with sitting(out, cfg.workers, len(todo), len(p.cells)) as rec:
        cells.prepare_worlds(cfg, out)
        state = _Progress(todo, set(done), len(p.cells), on_event or (lambda *a: None))
        try:
            if cfg.workers <= 1 and ray_address is None:
                _inline(cfg.model_dump_json(), out, state, should_stop)
            else:
                # one thread per cell is fastest when cells share the cores
                with ray_session(ray_address, cfg.workers, WORKER_ENV):
                    _on_ray(cfg.model_dump_json(), out, cfg.workers, state, should_stop)
        finally:
            rec["cells"], rec["complete"] = len(state.done - done), not state.todo
    return sorted(state.todo)


def _inline(cfg_json: str, out: Path, state: _Progress, should_stop: Callable[[], bool]) -> None:
    while state.todo and not should_stop():
        c = state.ready()[0]
        state.event("start", c.key, len(state.done), state.total)
        try:
            run_cell(cfg_json, str(out), c.key)
        except (LoopInterrupted, KeyboardInterrupt):
            # Ctrl-C reached the loop's own handler, or Python's: the cell is not stored
            # (cells are written only when complete), so running again resumes it
            state.event("stopped", c.key, len(state.done), state.total)
            return
        except Exception as err:  # noqa: BLE001 - reported in one line, the stored cells stay
            raise CellFailed(c.key, err) from err
        state.finish(c.key)


def _on_ray(cfg_json: str, out: Path, workers: int, state: _Progress,
            should_stop: Callable[[], bool]) -> None:
    pool = RayPool(run_cell)
    while (state.todo or pool.keys) and not (should_stop() and not pool.keys):
        if not should_stop():
            for c in state.ready():
                if len(pool.keys) >= workers:
                    break
                if c.key in pool.keys:
                    continue
                pool.submit(c.key, cfg_json, str(out), c.key)
                state.event("start", c.key, len(state.done), state.total)
        if not pool.keys:
            return
        for key, err in pool.finished(timeout_s=1.0):
            if err is not None:  # the cells in flight are cancelled by the shutdown
                raise CellFailed(key, err) from err
            state.finish(key)


__all__ = [
    "MANIFEST",
    "Cell",
    "CellFailed",
    "OutDirError",
    "Plan",
    "execute",
    "open_out",
    "pending",
    "plan",
    "run_cell",
]
