"""`redledger export`: the evolved dataset in a format existing detector code reads."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from orchestrator.cli.common import console, fail
from orchestrator.export import FORMATS, ExportError, export_run


def export(
    run_dir: Path = typer.Argument(..., help="Run directory."),
    fmt: str = typer.Option(..., "--format", help=f"One of: {', '.join(FORMATS)}."),
    out: Path = typer.Option(
        ..., "--out", help="Directory to write (created; must be empty unless --force)."
    ),
    all_accepted: bool = typer.Option(
        False, "--all-accepted", help="Every accepted scenario, not only archive elites."
    ),
    force: bool = typer.Option(
        False,
        "--force",
        help="Replace an earlier export in --out (a directory holding anything else is refused).",
    ),
) -> None:
    """Export World + archive elites with a dataset card (README.md) and a SHA-256 manifest."""
    t0 = time.perf_counter()
    with console.status(f"exporting {run_dir} as {fmt}"):
        try:
            d = export_run(run_dir, fmt, out, force, all_accepted)
        except ExportError as err:
            fail(str(err))
    files = sorted(p.name for p in d.iterdir())
    console.print(
        f"{fmt} export in {d} ({time.perf_counter() - t0:.1f} s): {', '.join(files)}", highlight=False
    )


__all__ = ["export"]
