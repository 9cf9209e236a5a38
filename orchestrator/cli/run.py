"""`redledger run | resume | status | stop`: long evolution jobs, watched and controlled."""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict
from pathlib import Path

import typer
from rich.live import Live
from rich.table import Table

from agents import ConfigError
from orchestrator.cli.common import console, fail, load_toml_model
from orchestrator.cli.output import emit_json, out_console, table
from orchestrator.engine import (
    InspectError,
    Progress,
    RunConfig,
    RunDirError,
    RunOutcome,
    RunStore,
    RunView,
    check_run_config,
    execute,
    open_run,
    request_stop,
)


def _view(cfg: RunConfig, p: Progress, t0: float) -> Table:
    t = Table(title=f"redledger run '{cfg.name}'", show_header=False)
    done_rounds = len(p.round_seconds)
    per_round = sum(p.round_seconds) / done_rounds if done_rounds else None
    eta = f"{per_round * (cfg.budgets.rounds - p.round - 1):.0f} s" if per_round else "-"
    for k, v in [("round", f"{p.round} ({p.round + 1} of {cfg.budgets.rounds}), {p.status}"),
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

        def step(message: str) -> None:
            live.console.print(f"[dim]set-up: {message}[/]", highlight=False)

        status = asyncio.run(
            execute(run_dir, store, cfg, ray_address, inline, on_progress=show, on_step=step)
        )
    rounds = store.last_round() + 1
    final = store.get_meta("status")
    store.close()
    console.print()
    if status is RunOutcome.FAILING:
        console.print(f"[red]error:[/red] {run_dir}: {final}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    console.print(
        f"{status}: {rounds} rounds in {run_dir}"
        + ("" if status == "finished" else f"; continue with `redledger resume {run_dir}`"),
        highlight=False,
    )


def run(
    config: Path = typer.Argument(..., help="Run config (TOML)."),
    run_dir: Path = typer.Option(None, "--run-dir", help="Run directory; default runs/<name>."),
    ray_address: str = typer.Option(
        None, "--ray-address", help="Join this Ray cluster instead of starting one."
    ),
    inline: bool = typer.Option(
        False, "--inline", help="Run the roles in this process, without Ray (debugging)."
    ),
) -> None:
    """Start an evolution run (or continue the run of the same config in --run-dir)."""
    cfg = load_toml_model(config, RunConfig, {})
    try:
        check_run_config(cfg)  # before anything is created or started
    except ConfigError as err:
        fail(f"{config}: {err}")
    run_dir = run_dir or Path("runs") / cfg.name
    try:
        store, cfg = open_run(run_dir, cfg)
    except RunDirError as err:
        fail(str(err))
    _go(run_dir, store, cfg, ray_address, inline)


def resume(
    run_dir: Path = typer.Argument(..., help="Run directory to continue."),
    ray_address: str = typer.Option(
        None, "--ray-address", help="Join this Ray cluster instead of starting one."
    ),
    inline: bool = typer.Option(False, "--inline", help="Run the roles in this process, without Ray."),
) -> None:
    """Continue a stopped or interrupted run where its store ends."""
    try:
        store, cfg = open_run(run_dir, None)
    except RunDirError as err:
        fail(str(err))
    try:
        check_run_config(cfg)  # an unset key variable, a World moved away since the start
    except ConfigError as err:
        store.close()
        fail(f"{run_dir}: {err}")
    _go(run_dir, store, cfg, ray_address, inline)


# (header, store column, format, shown at 80 columns)
STATUS_COLUMNS = (
    ("round", "round", "{}", True),
    ("cand.", "candidates", "{}", True),
    ("fail", "failures", "{}", True),
    ("cover", "coverage", "{:.0%}", True),
    ("QD", "qd_score", "{:.1f}", True),
    ("Elo", "best_elo", "{:.0f}", True),
    ("fam.", "families", "{}", False),
    ("typ. H", "typology_entropy", "{:.2f}", False),
    ("struct.", "structural_distance", "{:.3f}", False),
    ("val.ev", "value_evasion", "{:.2f}", True),
    ("case.ev", "case_evasion", "{:.2f}", True),
    ("med.funds", "median_funds", "{:,.0f}", True),
    ("kept", "filter_kept", "{}", False),
    ("drop", "filter_dropped", "{}", False),
    ("tokens", "tokens", "{:,}", False),
    ("det", "detector_version", "v{}", True),
    ("s", "seconds", "{:.1f}", True),
)


def status(
    run_dir: Path = typer.Argument(..., help="Run directory."),
    as_json: bool = typer.Option(
        False, "--json", help="Print JSON (state, budgets, counts, every round) for scripts."
    ),
    wide: bool = typer.Option(
        False,
        "--wide",
        help="Every column (families, typology entropy, structural "
        "distance, filter counts, tokens); needs about 150 columns.",
    ),
) -> None:
    """Where a run stands (works from another terminal while it runs). Rounds count from 0."""
    try:
        v = RunView.open(run_dir)
    except InspectError as err:
        fail(str(err))
    try:
        cfg, state, rows, progress, counts = v.cfg, v.state(), v.rounds(), v.progress(), v.store.counts()
    finally:
        v.close()
    live = progress if state == "running" else None
    if as_json:
        emit_json(
            {
                "run": cfg.name,
                "run_dir": str(run_dir),
                "state": state,
                "rounds_budget": cfg.budgets.rounds,
                "rounds": rows,
                "counts": counts,
                "in_flight": asdict(live) if live else None,
            }
        )
        return
    out = out_console(wide)
    cols = [c for c in STATUS_COLUMNS if wide or c[3]]
    t = table(f"run '{cfg.name}': {state}")
    for head, *_ in cols:
        t.add_column(head, justify="right", no_wrap=True)
    for r in rows:
        t.add_row(*(fmt.format(r[key]) for _, key, fmt, _ in cols))
    out.print(t)
    if live:
        out.print(
            f"now: round {live.round}, {live.done}/{live.planned} debates done, {live.in_flight} in flight "
            f"({live.status})",
            highlight=False,
        )
    out.print(
        f"{len(rows)} of {cfg.budgets.rounds} rounds in {run_dir}; "
        + ", ".join(f"{v} {k}" for k, v in counts.items() if k != "rounds"),
        highlight=False,
    )
    if not wide:
        out.print("[dim]more columns: --wide; for scripts: --json[/]")


def stop(run_dir: Path = typer.Argument(..., help="Run directory.")) -> None:
    """Stop a run gracefully: debates in flight finish and are stored, then it exits."""
    try:
        state = request_stop(run_dir)
    except RunDirError as err:
        fail(str(err))
    if state is not None:
        console.print(
            f"{run_dir}: no process is running this run ({state}); nothing to stop",
            highlight=False,
            soft_wrap=True,
        )
        return
    console.print(
        f"stop requested for {run_dir}; the run exits after its debates in flight",
        highlight=False,
        soft_wrap=True,
    )


__all__ = ["resume", "run", "status", "stop"]
