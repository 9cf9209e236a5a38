"""`build_sharded_world`: generate, label and export a World shard by shard.

The steps, and what each holds in memory:

1. the population (accounts and standing relationships), once;
2. each shard's background flows, written as a time-sorted Parquet part (a shard at a time
   per worker: about 80 bytes per transaction of the shard);
3. baseline typologies compiled against the account table only (hijacked accounts are
   found through its profile index; the ledger is never loaded), in one independent block
   per shard so that they compile in parallel, and written as one more part,
   ``injected.parquet``;
4. the AMLworld triplet (and AMLSim's files if asked) streamed from the k-way merge.

Steps 2 and 4 take a `Runner`, so the caller decides where shards and windows run (one
after another by default; the CLI runs them as Ray tasks). The bytes depend only on the config
and the number of shards.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from graph_schema.baseline import baseline_rows, sample_baseline
from graph_schema.formats.atomic import write_text_atomic
from graph_schema.formats.parquet import scenario_lines, write_table
from graph_schema.formats.partitioned import (
    Part,
    PartitionedWorld,
    day_offsets,
    write_manifest,
    write_part,
)
from graph_schema.formats.streaming import write_exports
from graph_schema.runner import Runner, sequential
from graph_schema.tables import empty_ledger, time_sorted
from graph_schema.world import World, WorldConfig
from graph_schema.world.core import population
from graph_schema.world.inject import Packed, inject_packed, pack
from graph_schema.world.population import Population, accounts_table
from graph_schema.world.shards import generate_shard

Progress = Callable[[str], None]


def part_name(shard: int) -> str:
    return f"part-{shard:05d}.parquet"


def write_shard(cfg: WorldConfig, pop: Population, shard: int, shards: int, out: str | Path) -> Part:
    """Generate shard ``shard`` of ``shards`` and write it as a ledger part under ``out``."""
    table = generate_shard(cfg, pop, shard, shards)
    write_part(table, Path(out) / "ledger" / part_name(shard))
    return Part(part_name(shard), table.num_rows, "background", day_offsets(table, cfg))


def build_sharded_world(cfg: WorldConfig, out: str | Path, shards: int,
                        formats: tuple[str, ...] = ("amlworld",), runner: Runner = sequential,
                        progress: Progress | None = None) -> PartitionedWorld:
    """Write a partitioned World (see `graph_schema.formats.partitioned`) and its exports.

    Raises:
        ValueError: ``shards`` is below 1, or no baseline template compiles in this World.
    """
    if shards < 1:
        raise ValueError("shards: must be at least 1")
    step = progress or (lambda _msg: None)
    out = Path(out)
    step("population")
    pop = population(cfg)
    step(f"{shards} shards")
    parts = list(runner(write_shard, (cfg, pop), [(k, shards, str(out)) for k in range(shards)]))
    step("accounts")
    background = World(cfg, pop.banks, accounts_table(pop), empty_ledger())
    del pop
    step("baseline typologies")
    target = baseline_rows(sum(p.rows for p in parts), cfg.laundering_share)
    blocks = [(b, target * (b + 1) // shards - target * b // shards) for b in range(shards)]
    packs = list(runner(_baseline_block, (background, cfg.seed), [b for b in blocks if b[1] > 0]))
    step("labelled part")
    rows, accounts, records = inject_packed(background, packs)
    injected = time_sorted([rows])
    write_part(injected, out / "ledger" / "injected.parquet")
    parts.append(Part("injected.parquet", injected.num_rows, "injected", day_offsets(injected, cfg)))
    write_table(accounts, out / "accounts.parquet")
    write_table(background.banks, out / "banks.parquet")
    write_text_atomic(out / "scenarios.jsonl", scenario_lines(records))
    write_text_atomic(out / "world.json", cfg.model_dump_json(indent=2) + "\n")
    write_manifest(out, parts, shards)
    pw = PartitionedWorld(out, cfg, background.banks, accounts, records, parts, shards)
    if formats:
        step("exports")
        write_exports(pw, out, formats, runner=runner)
    return pw


def _baseline_block(world: World, seed: int, block: int, target: int) -> Packed:
    return pack(sample_baseline(world, target, seed, block=block))

