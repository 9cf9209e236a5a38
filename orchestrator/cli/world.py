"""`redledger world`: generate a background World, inject baseline typologies, write it out."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from graph_schema.baseline import inject_baseline
from graph_schema.formats import write_amlsim, write_amlworld, write_world
from graph_schema.sharding import build_sharded_world
from graph_schema.world import WorldConfig, generate_world
from orchestrator.cli.common import console, fail, load_toml_model
from orchestrator.outdir import check_out_dir, replacing


def world(
    out: Path = typer.Option(..., "--out", help="Directory to write the World into."),
    accounts: int = typer.Option(None, help="Number of customer accounts."),
    days: int = typer.Option(None, help="Length of the period in days."),
    seed: int = typer.Option(None, help="Random seed."),
    laundering_share: float = typer.Option(None, "--laundering-share",
                                           help="Share of laundering transactions (0.001 = 0.1%)."),
    banks: int = typer.Option(None, help="Number of banks (at least 5)."),
    name: str = typer.Option(None, help="Prefix of the AMLworld files."),
    config: Path = typer.Option(None, "--config", help="TOML file with the same fields."),
    force: bool = typer.Option(False, "--force", help="Replace a World that redledger wrote in --out "
                                                        "(anything else there is refused)."),
    shards: int = typer.Option(None, "--shards", min=1,
                               help="Generate in this many shards, as Ray tasks, into a partitioned "
                                    "World (ledger/part-*.parquet); the same seed and shards give "
                                    "the same bytes."),
    ray_address: str = typer.Option(None, "--ray-address",
                                    help="Ray cluster to run the shards on (default: a local one)."),
    workers: int = typer.Option(None, "--workers", min=1,
                                help="CPUs of the local Ray instance (default: all)."),
    amlsim: bool = typer.Option(False, "--amlsim", help="Also write AMLSim's transactions.csv and "
                                                        "alert_transactions.csv."),
) -> None:
    """Generate a World, inject sampled baseline typologies, write Parquet and the AMLworld triplet."""
    cfg = load_toml_model(config, WorldConfig, {
        "accounts": accounts, "days": days, "seed": seed, "laundering_share": laundering_share,
        "banks": banks, "name": name,
    })
    if (ray_address or workers) and not shards:
        fail("--ray-address and --workers: only apply with --shards N")
    check_out_dir(out, force, "world")
    t0 = time.perf_counter()
    with replacing(out, force, "world") as tmp:
        if shards:
            summary = _sharded(cfg, tmp, shards, ray_address, workers, amlsim)
        else:
            summary = _whole(cfg, tmp, amlsim)
    _summary(*summary, t0, out)


def _whole(cfg: WorldConfig, out: Path, amlsim: bool) -> tuple[int, int, int, int]:
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[note]}"),
                  TimeElapsedColumn(), console=console, transient=False) as bar:
        gen = bar.add_task("generating background", total=None, note="")
        w = generate_world(cfg, progress=lambda step: bar.update(gen, note=step))
        bar.update(gen, total=1, completed=1, note=f"{w.ledger.num_rows:,} transactions")
        inj = bar.add_task("injecting typologies", total=1, note="")
        w = inject_baseline(w, cfg.laundering_share, cfg.seed,
                            progress=lambda done, total: bar.update(inj, completed=done, total=total,
                                                                    note=f"{done:,}/{total:,} rows"))
        bar.update(inj, completed=1, total=1, note=f"{len(w.scenarios)} scenarios")
        wr = bar.add_task("writing", total=2, note="parquet")
        write_world(w, out)
        bar.update(wr, advance=1, note="AMLworld triplet")
        write_amlworld(w, out)
        if amlsim:
            write_amlsim(w, out)
        bar.update(wr, advance=1, note="done")
    n_l = int(w.ledger.column("is_laundering").to_numpy().sum())
    return w.n_accounts, w.ledger.num_rows, n_l, len(w.scenarios)


def _summary(n_accounts: int, n_tx: int, n_l: int, n_scenarios: int, t0: float, out: Path) -> None:
    console.print(
        f"World: {n_accounts:,} accounts, {n_tx:,} transactions, {n_l:,} laundering "
        f"({n_l / max(n_tx, 1):.3%}) in {n_scenarios} scenarios; "
        f"{time.perf_counter() - t0:.1f} s -> {out}", highlight=False)


def _sharded(cfg: WorldConfig, out: Path, shards: int, address: str | None, workers: int | None,
             amlsim: bool) -> tuple[int, int, int, int]:
    from orchestrator.engine import WORKER_ENV, ray_runner, ray_session

    formats = ("amlworld", "amlsim") if amlsim else ("amlworld",)
    with ray_session(address, workers, WORKER_ENV), Progress(
            TextColumn("{task.description}"), TextColumn("{task.fields[note]}"), TimeElapsedColumn(),
            console=console, transient=False) as bar:
        task = bar.add_task("sharded World", total=None, note="")
        pw = build_sharded_world(cfg, out, shards, formats, ray_runner,
                                 progress=lambda step: bar.update(task, note=step))
        bar.update(task, note="done")
    injected = next(p.rows for p in pw.parts if p.kind == "injected")
    return pw.n_accounts, pw.n_transactions, injected, len(pw.scenarios)
