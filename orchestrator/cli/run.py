"""`redledger run | resume | status | stop`: long evolution jobs, watched and controlled."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import typer
from rich.live import Live
from rich.table import Table

from orchestrator.cli.common import console, fail, load_toml_model
from orchestrator.config import RunConfig
from orchestrator.inspect import run_state
from orchestrator.run import RunDirError, execute, open_run, request_stop
from orchestrator.store import STORE, RunStore
from orchestrator.supervisor import Progress, RunOutcome


def _view(cfg: RunConfig, p: Progress, t0: float) -> Table:
    t = Table(title=f"redledger run '{cfg.name}'", show_header=False)
    done_rounds = len(p.round_seconds)
    per_round = sum(p.round_seconds) / done_rounds if done_rounds else None
    eta = f"{per_round * (cfg.budgets.rounds - p.round - 1):.0f} s" if per_round else "-"
    for k, v in [("round", f"{p.round + 1} / {cfg.budgets.rounds}  ({p.status})"),
                 ("debates", f"{p.done} / {p.planned} done, {p.in_flight} in flight"),
                 ("archive coverage", f"{p.coverage:.1%}"), ("best Elo", f"{p.best_elo:.0f}"),
                 ("tokens spent", f"{p.tokens:,}"), ("detector version", f"v{p.detector_version}"),
                 ("elapsed / ETA", f"{time.monotonic() - t0:.0f} s / {eta}")]:
        t.add_row(k, v)
    return t


def _go(run_dir: Path, store: RunStore, cfg: RunConfig, ray_address: str | None, inline: bool) -> None:
    if store.get_meta("status") == "finished":
        store.close()
        console.print(f"{run_dir}: this run has already finished ({cfg.budgets.rounds} rounds); "
                      "nothing to resume", highlight=False)
        raise typer.Exit(0)
    t0 = time.monotonic()
    warned = [0]
    with Live(console=console, refresh_per_second=4, transient=False) as live:
        def show(p: Progress) -> None:
            for w in p.warnings[warned[0]:]:
                live.console.print(f"[yellow]warning:[/yellow] {w}", highlight=False, soft_wrap=True)
            warned[0] = len(p.warnings)
            live.update(_view(cfg, p, t0))

        status = asyncio.run(execute(run_dir, store, cfg, ray_address, inline, on_progress=show))
    rounds = store.last_round() + 1
    final = store.get_meta("status")
    store.close()
    console.print()
    if status is RunOutcome.FAILING:
        console.print(f"[red]error:[/red] {run_dir}: {final}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    console.print(f"{status}: {rounds} rounds in {run_dir}" +
                  ("" if status == "finished" else f"; continue with `redledger resume {run_dir}`"), highlight=False)


def run(
    config: Path = typer.Argument(..., help="Run config (TOML)."),
    run_dir: Path = typer.Option(None, "--run-dir", help="Run directory; default runs/<name>."),
    ray_address: str = typer.Option(None, "--ray-address", help="Join this Ray cluster instead of starting one."),
    inline: bool = typer.Option(False, "--inline", help="Run the roles in this process, without Ray (debugging)."),
) -> None:
    """Start an evolution run (or continue the run of the same config in --run-dir)."""
    cfg = load_toml_model(config, RunConfig, {})
    run_dir = run_dir or Path("runs") / cfg.name
    try:
        store, cfg = open_run(run_dir, cfg)
    except RunDirError as err:
        fail(str(err))
    _go(run_dir, store, cfg, ray_address, inline)


def resume(
    run_dir: Path = typer.Argument(..., help="Run directory to continue."),
    ray_address: str = typer.Option(None, "--ray-address", help="Join this Ray cluster instead of starting one."),
    inline: bool = typer.Option(False, "--inline", help="Run the roles in this process, without Ray."),
) -> None:
    """Continue a stopped or interrupted run where its store ends."""
    try:
        store, cfg = open_run(run_dir, None)
    except RunDirError as err:
        fail(str(err))
    _go(run_dir, store, cfg, ray_address, inline)


def status(run_dir: Path = typer.Argument(..., help="Run directory.")) -> None:
    """Where a run stands (works from another terminal while it runs)."""
    if not (run_dir / STORE).exists():
        fail(f"{run_dir}: no run here ({STORE} is missing)")
    with RunStore(run_dir / STORE, readonly=True) as store:
        cfg = store.config()
        state = run_state(store)
        rows = store.rounds()
        progress = json.loads(store.get_meta("progress") or "{}")
        counts = store.counts()
    t = Table(title=f"run '{cfg.name}' in {run_dir}: {state}")
    for col in ("round", "candidates", "failures", "coverage", "QD-score", "best Elo", "families", "typology H",
                "struct. dist.", "value evasion", "case evasion", "median funds", "filter kept/dropped", "tokens",
                "detectors", "seconds"):
        t.add_column(col, justify="right")
    for r in rows:
        t.add_row(str(r["round"]), str(r["candidates"]), str(r["failures"]), f"{r['coverage']:.1%}",
                  f"{r['qd_score']:.2f}", f"{r['best_elo']:.0f}", str(r["families"]), f"{r['typology_entropy']:.2f}",
                  f"{r['structural_distance']:.3f}", f"{r['value_evasion']:.2f}", f"{r['case_evasion']:.2f}",
                  f"{r['median_funds']:,.0f}", f"{r['filter_kept']}/{r['filter_dropped']}", f"{r['tokens']:,}", f"v{r['detector_version']}", f"{r['seconds']:.1f}")
    console.print(t)
    if state == "running" and progress:
        console.print(f"now: round {progress.get('round', 0) + 1}, {progress.get('done', 0)}/"
                      f"{progress.get('planned', 0)} debates done, {progress.get('in_flight', 0)} in flight "
                      f"({progress.get('status')})", highlight=False)
    console.print(f"{len(rows)} of {cfg.budgets.rounds} rounds; " +
                  ", ".join(f"{v} {k}" for k, v in counts.items() if k != "rounds"), highlight=False)


def stop(run_dir: Path = typer.Argument(..., help="Run directory.")) -> None:
    """Stop a run gracefully: debates in flight finish and are stored, then it exits."""
    try:
        request_stop(run_dir)
    except RunDirError as err:
        fail(str(err))
    console.print(f"stop requested for {run_dir}; the run exits after its debates in flight", highlight=False)


__all__ = ["resume", "run", "status", "stop"]
