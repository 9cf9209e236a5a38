"""`redledger demo`: the whole loop in a few minutes (`redledger sample` lives in experiments.cli)."""

from __future__ import annotations

import asyncio
import time
import tomllib
from importlib import resources
from pathlib import Path

import typer
from rich.table import Table

from orchestrator.cli.common import console, fail, working
from orchestrator.engine import RunConfig, execute, open_run
from orchestrator.export import export_run
from orchestrator.outdir import check_out_dir, clear_owned, write_marker
from orchestrator.report import write_report


def preset(name: str) -> RunConfig:
    """A shipped run config (`experiments/configs/NAME.toml`)."""
    text = resources.files("experiments").joinpath(f"configs/{name}.toml").read_text()
    return RunConfig.model_validate(tomllib.loads(text))


def _step(message: str) -> None:
    console.print(f"[dim]set-up: {message}[/]", highlight=False)


def run_to_end(run_dir: Path, cfg: RunConfig, inline: bool) -> str:
    """Run ``cfg`` in ``run_dir`` (a spinner, set-up steps printed) and return its final status."""
    store, cfg = open_run(run_dir, cfg)
    try:
        with working(f"running '{cfg.name}': {cfg.budgets.rounds} rounds of {cfg.population} debates"):
            return asyncio.run(execute(run_dir, store, cfg, inline=inline, on_step=_step))
    finally:
        store.close()


FORMATS = ("amlworld", "parquet", "dgl", "preferences")
ENTRIES = ("run", "report.html", *(f"export-{f}" for f in FORMATS))


def demo(
    out: Path = typer.Option(Path("runs/demo"), "--out", help="Directory for the run, exports and report."),
    force: bool = typer.Option(False, "--force", help="Replace an earlier demo in --out (a directory "
                                                        "holding anything else is refused)."),
    inline: bool = typer.Option(False, "--inline", help="Roles in this process instead of Ray actors."),
) -> None:
    """Generate a World, train the detectors, run the quickstart evolution, export, report."""
    check_out_dir(out, force, "demo", legacy=ENTRIES)
    out.mkdir(parents=True, exist_ok=True)
    clear_owned(out)
    write_marker(out, "demo", ENTRIES)  # first, so that an interrupted demo is still known as one
    t0 = time.perf_counter()
    status = run_to_end(out / "run", preset("quickstart"), inline)
    if status != "finished":
        fail(
            f"{out / 'run'}: the demo run ended early ({status}); resume it with `redledger resume "
            f"{out / 'run'}`"
        )
    paths = {
        "run store": out / "run" / "run.sqlite",
        "World": out / "run" / "world",
        "detectors": out / "run" / "detectors",
    }
    for fmt in FORMATS:
        with working(f"exporting {fmt}"):
            paths[f"{fmt} export"] = export_run(out / "run", fmt, out / f"export-{fmt}")
    with working("writing the report"):
        paths["report"] = write_report(out / "run", out / "report.html")
    t = Table(title=f"redledger demo finished in {time.perf_counter() - t0:.0f} s")
    t.add_column("what")
    t.add_column("where")
    for k, v in paths.items():
        t.add_row(k, str(v))
    console.print(t)
    console.print(
        f"next: redledger show {out / 'run'} archive | redledger benchmark --data "
        f"{out / 'export-amlworld' / 'World_Trans.csv'} --out {out / 'bench'}",
        highlight=False,
    )


__all__ = ["demo"]
