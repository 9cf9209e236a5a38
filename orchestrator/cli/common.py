"""Shared CLI plumbing: one-line errors with exit code 2, TOML config loading, the console."""

from __future__ import annotations

import contextlib
import os
import re
import tomllib
from pathlib import Path
from typing import TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console

from orchestrator.outdir import OutDirError
from orchestrator.store import StoreError

console = Console(stderr=True)
M = TypeVar("M", bound=BaseModel)


class UsageError(Exception):
    """Bad input: printed as one line, exit code 2."""


def fail(message: str) -> None:
    raise UsageError(message)


def load_toml_model(path: Path, model: type[M], overrides: dict) -> M:
    """Validate a TOML file (plus CLI overrides) against ``model``.

    Raises:
        UsageError: the file is unreadable, not TOML, or breaks a field rule; the message
            names the file, the field and the rule.
    """
    data: dict = {}
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as err:
            fail(f"{path}: cannot read ({err.strerror})")
        except tomllib.TOMLDecodeError as err:
            fail(f"{path}: not valid TOML: {err}")
    data = _expand_env(data, path, "")
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return model.model_validate(data)
    except ValidationError as err:
        e = err.errors()[0]
        loc = ".".join(str(x) for x in e["loc"]) or "$"
        where = f"{path}: " if path is not None else "command line: "
        fail(f"{where}{loc}: {e['msg']}")
    raise AssertionError("unreachable")


_ENV_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


def _expand_env(node, path, where: str):
    """Strings written "${VAR}" take the value of environment variable VAR."""
    if isinstance(node, dict):
        return {k: _expand_env(v, path, f"{where}.{k}" if where else k) for k, v in node.items()}
    if isinstance(node, list):
        return [_expand_env(v, path, f"{where}[{i}]") for i, v in enumerate(node)]
    if isinstance(node, str) and (m := _ENV_REF.match(node)):
        if m.group(1) not in os.environ:
            fail(f"{path}: {where}: environment variable {m.group(1)} is not set")
        return os.environ[m.group(1)]
    return node


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
