"""Where independent jobs run: a `Runner` calls ``fn(*common, *job)`` for every job and
yields the results in job order, so a caller can consume (and free) each one before the
next arrives. `sequential` runs them here; the orchestrator passes one that runs them as
Ray tasks. graph_schema never imports Ray."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

Runner = Callable[[Callable[..., Any], tuple, Sequence[tuple]], Iterator]


def sequential(fn: Callable[..., Any], common: tuple, jobs: Sequence[tuple]) -> Iterator:
    for job in jobs:
        yield fn(*common, *job)
