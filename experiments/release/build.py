"""Build a release's World: generate the background sharded, then place laundering period by
period, every scenario wholly inside one period.

- baseline typology templates in every period (subset ``baseline``);
- the pool's drafts and elites of the training seeds in train and validation (subsets
  ``drafts`` and ``elites``);
- the pool's drafts and elites of the test seeds in test only (subsets ``drafts`` and
  ``novel``): no scenario of those seeds is in a training period.

Each placement is its own scenario in the ledger (the source scenario renamed with the
placement's tag, so its id differs), at other times and accounts.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow.compute as pc

from experiments.release.config import SPLITS, ReleaseConfig
from experiments.release.pool import PoolEntry
from graph_schema.baseline import baseline_rows, sample_baseline
from graph_schema.compiler import compile_scenario
from graph_schema.dsl import Scenario
from graph_schema.errors import ScenarioError
from graph_schema.sharding import build_sharded_world
from graph_schema.world import World
from graph_schema.world.inject import inject

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Placement:
    """One scenario placed in one period."""

    placement_id: str  # scenario_id in the ledger
    source_id: str  # the pool entry's id (a template's own id for baseline placements)
    subset: str  # baseline | drafts | elites | novel
    split: str
    evolution_seed: int | None
    compile_seed: int
    meta: dict = field(default_factory=dict)


@dataclass
class Built:
    world: World
    cuts: list[int]  # epoch seconds: start, validation start, test start, end
    placements: list[Placement]
    dropped: list[dict]  # placements that did not compile: source, split, reason


def cuts_of(cfg: ReleaseConfig) -> list[int]:
    start = cfg.world.start_epoch
    days = np.cumsum([0, *cfg.split_days])
    return [int(start + 86_400 * d) for d in days]


def background(cfg: ReleaseConfig, shards: int | None = None, progress: Progress | None = None) -> World:
    """The release's background World, generated shard by shard and merged in memory."""
    wcfg = cfg.world.model_copy(update={"laundering_share": 0.0})
    with tempfile.TemporaryDirectory(prefix="redledger-release-") as tmp:
        pw = build_sharded_world(wcfg, Path(tmp) / "world", shards or cfg.shards, formats=(),
                                 progress=progress)
        return pw.materialise()


def _renamed(s: Scenario, tag: str) -> Scenario:
    """``s`` under a name of its own for this placement (within the DSL's 80 characters)."""
    suffix = f" #{tag}"
    return s.model_copy(update={"name": s.name[:80 - len(suffix)] + suffix})


def _sample(items: list[PoolEntry], n: int | None, key: list[int]) -> list[PoolEntry]:
    items = sorted({e.scenario.uid: e for e in items}.values(), key=lambda e: e.scenario.uid)
    if n is None or len(items) <= n:
        return items
    rng = np.random.default_rng(key)
    return [items[i] for i in sorted(rng.choice(len(items), n, replace=False))]


def _selection(cfg: ReleaseConfig, pool: list[PoolEntry], split: str, seeds: list[int]) -> list[PoolEntry]:
    """The pool entries ``split`` takes from ``seeds``: seeded samples of elites and drafts,
    each scenario once (an elite that is also a draft counts as an elite)."""
    take, i = getattr(cfg.take, split), SPLITS.index(split)
    out = []
    for seed in seeds:
        mine = [e for e in pool if e.seed == seed]
        elites = _sample([e for e in mine if e.kind == "elite"], take.elites, [cfg.seed, seed, i, 0xE1])
        taken = {e.scenario.uid for e in mine if e.kind == "elite"}
        drafts = [e for e in mine if e.kind == "draft" and e.scenario.uid not in taken]
        out += elites + _sample(drafts, take.drafts, [cfg.seed, seed, i, 0xD4])
    return out


def _place_pool(cfg: ReleaseConfig, world: World, cuts: list[int], pool: list[PoolEntry]):
    compiled, placements, dropped = [], [], []
    for i, split in enumerate(SPLITS):
        window = (cuts[i], cuts[i + 1])
        seeds = cfg.test_seeds if split == "test" else cfg.train_seeds
        for j, e in enumerate(_selection(cfg, pool, split, seeds)):
            subset = "drafts" if e.kind == "draft" else ("novel" if split == "test" else "elites")
            for k in range(getattr(cfg.take, split).copies):
                seed = cfg.seed * 1_000_003 + 10_000_000 * i + 100 * j + k  # copies <= 20
                try:
                    c = compile_scenario(_renamed(e.scenario, f"{split}.{j}.{k}"), world, seed, window=window)
                except ScenarioError as err:
                    dropped.append({"source_id": e.source_id, "split": split, "subset": subset,
                                    "reason": str(err)})
                    continue
                compiled.append(c)
                placements.append(Placement(c.scenario_id, e.source_id, subset, split, e.seed, seed,
                                            {**e.meta, "kind": e.kind}))
    return compiled, placements, dropped


def _place_baseline(cfg: ReleaseConfig, world: World, cuts: list[int]):
    compiled, placements = [], []
    t = pc.cast(world.ledger.column("timestamp"), "int64").to_numpy()
    for i, split in enumerate(SPLITS):
        n_bg = int(((t >= cuts[i]) & (t < cuts[i + 1])).sum())
        target = baseline_rows(n_bg, cfg.baseline_share)
        if target <= 0:
            continue
        got = sample_baseline(world, target, cfg.seed, block=i, window=(cuts[i], cuts[i + 1]))
        for c in got:
            compiled.append(c)
            placements.append(Placement(c.scenario_id, c.scenario_id, "baseline", split, None, c.seed,
                                        {"template": c.scenario.name}))
    return compiled, placements


def build_world(cfg: ReleaseConfig, pool: list[PoolEntry], progress: Progress | None = None) -> Built:
    """The release's World with every placement injected.

    Raises:
        ValueError: no baseline template compiles in a period (too short a period).
    """
    step = progress or (lambda _msg: None)
    world = background(cfg, progress=step)
    cuts = cuts_of(cfg)
    step("baseline templates")
    base_c, base_p = _place_baseline(cfg, world, cuts)
    step("pool scenarios")
    pool_c, pool_p, dropped = _place_pool(cfg, world, cuts, pool)
    step("injecting")
    return Built(inject(world, base_c + pool_c), cuts, base_p + pool_p, dropped)


__all__ = ["Built", "Placement", "background", "build_world", "cuts_of"]
