"""Shared CLI plumbing: one-line errors with exit code 2, TOML config loading, the console."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TypeVar

import typer
from pydantic import BaseModel
from rich.console import Console

from orchestrator.engine import ConfigFileError, StoreError, load_toml
from orchestrator.outdir import OutDirError

console = Console(stderr=True)
M = TypeVar("M", bound=BaseModel)


class UsageError(Exception):
    """Bad input: printed as one line, exit code 2."""


def fail(message: str) -> None:
    raise UsageError(message)


def load_toml_model(path: Path, model: type[M], overrides: dict) -> M:
    """`orchestrator.engine.load_toml`, its errors as one-line usage errors (exit code 2)."""
    try:
        return load_toml(path, model, overrides)
    except ConfigFileError as err:
        fail(str(err))
    raise AssertionError("unreachable")


def working(message: str):
    """A spinner in a terminal; in a pipe or a log, one line (a spinner would print nothing)."""
    if console.is_terminal:
        return console.status(message)
    console.print(f"{message} ...", highlight=False)
    return contextlib.nullcontext()


def run_guarded(app: typer.Typer) -> None:
    """Run the app; bad input becomes one red line and exit code 2."""
    try:
        code = app(standalone_mode=False)  # without standalone mode, click returns typer.Exit's code
        if isinstance(code, int) and code:
            raise SystemExit(code)
    except (UsageError, StoreError, OutDirError) as err:
        console.print(f"[red]error:[/red] {err}", highlight=False, soft_wrap=True)
        raise SystemExit(2) from None
    except typer.Exit as err:
        raise SystemExit(err.exit_code) from None
    except typer.Abort:
        console.print("aborted")
        raise SystemExit(130) from None
    except Exception as err:
        # Typer vendors click: its usage errors (unknown option, bad value) carry `show`.
        if hasattr(err, "show") and getattr(err, "exit_code", None) == 2:
            err.show()
            raise SystemExit(2) from None
        raise
