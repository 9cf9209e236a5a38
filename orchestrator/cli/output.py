"""What `status` and `show` print on standard output: tables that fit 80 columns (in a
terminal or a pipe), every column with `--wide`, and JSON with `--json` for scripts."""

from __future__ import annotations

import json
import math
import sys

from rich import box
from rich.console import Console
from rich.table import Table

# What --wide allows a table when the output has no width of its own (a pipe or a file).
WIDE = 250
ID_CHARS = 12  # ids are shown by this prefix; `show` accepts any unique prefix


def out_console(wide: bool = False) -> Console:
    """Standard output; a pipe is 80 columns wide unless COLUMNS says otherwise, or ``wide``."""
    if wide and not sys.stdout.isatty():
        return Console(width=WIDE)
    return Console()


def table(title: str | None = None) -> Table:
    """A compact table: no vertical rules and one space between columns, so that ten columns fit in 80."""
    return Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1, 0, 0), title_justify="left")


def short(sid: str | None) -> str:
    return (sid or "-")[:ID_CHARS]


def emit_json(obj) -> None:
    """``obj`` as JSON on standard output (NaN and infinities as null, so any parser reads it)."""
    print(json.dumps(_finite(obj), indent=1, sort_keys=True, default=str))


def _finite(obj):
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj


__all__ = ["ID_CHARS", "emit_json", "out_console", "short", "table"]
