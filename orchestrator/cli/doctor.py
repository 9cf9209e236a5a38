"""`redledger doctor [CONFIG.toml]`: check the machine and every configured LLM backend."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from orchestrator.cli.common import console, load_toml_model
from orchestrator.doctor import backends, environment
from orchestrator.engine import RunConfig

_OK, _BAD = "[green]OK[/green]", "[red]FAIL[/red]"


def _print_checks(title: str, checks) -> None:
    t = Table(title=title)
    for col in ("check", "status", "seconds", "detail"):
        t.add_column(col, justify="right" if col == "seconds" else "left")
    for c in checks:
        t.add_row(c.name, _OK if c.ok else _BAD, f"{c.seconds:.2f}", c.detail)
    console.print(t)


def doctor(
    config: Path = typer.Argument(None, help="Run config (TOML) whose LLM backends to check; "
                                             "without it, only the machine is checked."),
) -> None:
    """Check the Python packages, DGL, Ray, and one structured call per LLM role
    (exit 0 if all pass, else 2)."""
    cfg = load_toml_model(config, RunConfig, {}) if config is not None else RunConfig()
    with console.status("checking packages, DGL and Ray"):
        checks = environment()
    _print_checks("environment", checks)
    roles = cfg.agents.llm_roles()
    probes, models = [], []
    if roles:
        with console.status(f"one structured call per LLM role ({', '.join(roles)})"):
            probes = backends(cfg, models)
        t = Table(title="LLM roles")
        for col in ("role", "endpoint", "model", "method", "latency", "tokens", "status"):
            t.add_column(col, justify="right" if col in ("latency", "tokens") else "left")
        for p in probes:
            t.add_row(
                p.role,
                p.endpoint,
                p.model,
                p.method,
                f"{p.seconds:.2f} s",
                f"{p.tokens:,}",
                _OK if p.ok else f"[red]{p.error}[/red]",
            )
        console.print(t)
        if models:
            _print_checks("local models", models)
    else:
        console.print("no role of this config uses an LLM; no backend to check", highlight=False)
    checks += models
    failed = [c.name for c in checks if not c.ok] + [f"role {p.role}" for p in probes if not p.ok]
    if failed:
        console.print(
            f"[red]doctor:[/red] {len(failed)} check(s) failed: {', '.join(failed)}", highlight=False
        )
        raise typer.Exit(2)
    console.print(f"[green]doctor:[/green] all {len(checks) + len(probes)} checks passed", highlight=False)


__all__ = ["doctor"]
