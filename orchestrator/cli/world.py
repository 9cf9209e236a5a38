"""`redledger world`: generate a background World, inject baseline typologies, write it out."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from graph_schema.baseline import inject_baseline
from graph_schema.formats import write_amlworld, write_world
from graph_schema.world import WorldConfig, generate_world
from orchestrator.cli.common import check_out_dir, console, load_toml_model


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
    force: bool = typer.Option(False, "--force", help="Overwrite files in a non-empty --out."),
) -> None:
    """Generate a World, inject sampled baseline typologies, write Parquet and the AMLworld triplet."""
    cfg = load_toml_model(config, WorldConfig, {
        "accounts": accounts, "days": days, "seed": seed, "laundering_share": laundering_share,
        "banks": banks, "name": name,
    })
    check_out_dir(out, force)
    t0 = time.perf_counter()
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
        bar.update(wr, advance=1, note="done")
    n_l = int(w.ledger.column("is_laundering").to_numpy().sum())
    console.print(
        f"World: {w.n_accounts:,} accounts, {w.ledger.num_rows:,} transactions, {n_l:,} laundering "
        f"({n_l / max(w.ledger.num_rows, 1):.3%}) in {len(w.scenarios)} scenarios; "
        f"{time.perf_counter() - t0:.1f} s -> {out}", highlight=False)
