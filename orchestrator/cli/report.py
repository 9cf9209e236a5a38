"""`redledger report`: one self-contained HTML file for a run."""

from __future__ import annotations

from pathlib import Path

import typer

from orchestrator.cli.common import console, fail
from orchestrator.engine import InspectError
from orchestrator.report import write_report


def report(
    run_dir: Path = typer.Argument(..., help="Run directory."),
    out: Path = typer.Option(Path("report.html"), "--out", help="HTML file to write."),
    top: int = typer.Option(5, min=1, help="Top scenarios to show with their flows and debates."),
    cell: str = typer.Option(None, "--cell", help="Top scenarios only from this archive cell."),
    band: str = typer.Option(None, "--band", help="Top scenarios only from this volume band (v0, v1, ...)."),
) -> None:
    """Write the run report: summary, curves over rounds, archive heatmap, top scenarios and debates."""
    with console.status("writing report"):
        try:
            path = write_report(run_dir, out, top, cell, band)
        except InspectError as err:
            fail(str(err))
    console.print(f"report: {path} ({path.stat().st_size / 1e6:.1f} MB, self-contained)", highlight=False)


__all__ = ["report"]
