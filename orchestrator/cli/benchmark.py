"""`redledger benchmark`: fit and evaluate detectors on a World or AMLworld data."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from orchestrator.cli.common import console, fail
from orchestrator.outdir import check_out_dir, replacing

DEFAULT = "gcn,sage,gat,gine,pna,multi-gine,multi-pna,lightgbm,rules"


def benchmark(
    data: Path = typer.Option(
        ..., "--data", help="World directory, ledger .parquet, or AMLworld *_Trans.csv (or its directory)."
    ),
    detectors: str = typer.Option(DEFAULT, "--detectors", help="Comma-separated detector names."),
    out: Path = typer.Option(
        ..., "--out", help="Directory for metrics.json, metrics.md, pr_curve.png, models/."
    ),
    epochs: int = typer.Option(None, "--epochs", help="Override the maximum epochs of every GNN."),
    force: bool = typer.Option(
        False,
        "--force",
        help="Replace a benchmark that redledger wrote in --out (anything else there is refused).",
    ),
) -> None:
    """Temporal 60/20/20 benchmark: minority-class F1, PR-AUC, recall at a 0.5% alert budget, per typology."""
    # torch and DGL load only for this command, so the others start fast
    from detectors import REGISTRY, DatasetError, load_dataset
    from detectors.evaluation import run_evaluation

    names = [n.strip() for n in detectors.split(",") if n.strip()]
    unknown = [n for n in names if n not in REGISTRY]
    if unknown or not names:
        fail(
            f"--detectors: unknown detector(s) {', '.join(unknown) or '(none given)'}; known: "
            f"{', '.join(sorted(REGISTRY))}"
        )
    check_out_dir(out, force, "benchmark")
    try:
        ds = load_dataset(data)
    except DatasetError as err:
        fail(str(err))
    overrides = {n: {"epochs": epochs} for n in names if epochs and n not in ("lightgbm", "rules")}
    with Progress(
        TextColumn("{task.description:<11}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("best val F1 {task.fields[f1]}"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:

        def on_start(name: str):
            task = bar.add_task(name, total=None, f1="-")

            def progress(epoch: int, total: int, f1: float) -> None:
                bar.update(task, completed=epoch, total=total, f1=f"{f1:.3f}")

            return progress

        try:
            with replacing(out, force, "benchmark") as tmp:
                run_evaluation(ds, names, tmp, source=str(data), on_start=on_start, overrides=overrides)
        except DatasetError as err:
            fail(f"{data}: {err}")
    overall = (out / "metrics.md").read_text().split("## Recall per typology")[0]
    Console().print(Markdown(overall))  # the per-typology table is too wide for a terminal
    console.print(f"wrote {out / 'metrics.json'}, {out / 'metrics.md'}, {out / 'pr_curve.png'}")
