"""Where independent jobs run: a `Runner` calls ``fn(*common, *job)`` for every job and
returns the results in job order. `sequential` runs them here; the orchestrator passes one
that runs them as Ray tasks. graph_schema never imports Ray."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

Runner = Callable[[Callable[..., Any], tuple, Sequence[tuple]], list]


def sequential(fn: Callable[..., Any], common: tuple, jobs: Sequence[tuple]) -> list:
    return [fn(*common, *job) for job in jobs]
