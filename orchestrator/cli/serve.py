"""`redledger serve`: the live web workspace over a run directory."""

from __future__ import annotations

from pathlib import Path

import typer

from orchestrator.cli.common import console, fail
from orchestrator.engine import STORE


def serve(
    run_dir: Path = typer.Argument(..., help="Run directory (running, finished or interrupted)."),
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Address to bind; anything but loopback needs a token."
    ),
    port: int = typer.Option(8765, "--port", min=1, max=65535, help="TCP port."),
    token: str = typer.Option(
        None,
        "--token",
        help="Require this token (16+ characters) on every request; "
        "default: the REDLEDGER_TOKEN environment variable, if set.",
    ),
) -> None:
    """Serve the run's status, charts, archive, scenarios, debates and expert review in a browser."""
    from orchestrator.web.security import BindError, check_bind, resolve_token

    tok = resolve_token(token)
    try:
        check_bind(host, tok)
    except BindError as err:
        fail(str(err))
    if not (run_dir / STORE).exists():
        fail(f"{run_dir}: no run here ({STORE} is missing)")
    import uvicorn

    from orchestrator.web import create_app

    shown = "[::1]" if host == "::1" else host
    console.print(
        f"redledger workspace for {run_dir}: http://{shown}:{port}/"
        + ("?token=<your token>" if tok else "")
        + "  (Ctrl-C stops it)",
        highlight=False,
    )
    uvicorn.run(create_app(run_dir, tok), host=host, port=port, log_level="warning")


__all__ = ["serve"]
