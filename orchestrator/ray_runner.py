"""A `graph_schema.runner.Runner` that runs jobs as Ray tasks (one CPU each).

The common arguments are put into the object store once, so every task reads the same
copy (numpy arrays are shared, not copied, between workers on one node).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

WORKER_ENV = {"OMP_NUM_THREADS": "1"}  # one thread per task is fastest when tasks share the cores


def _call(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


def ray_runner(fn: Callable[..., Any], common: tuple, jobs: Sequence[tuple]) -> list:
    import ray

    remote = ray.remote(num_cpus=1, max_retries=0)(_call)
    refs = [ray.put(c) for c in common]
    return ray.get([remote.remote(fn, *refs, *job) for job in jobs])


@contextlib.contextmanager
def ray_session(address: str | None, workers: int | None) -> Iterator[None]:
    """Connect to the cluster at ``address``, or start a local one with ``workers`` CPUs;
    a session started here is shut down on exit."""
    import ray

    if ray.is_initialized():
        yield
        return
    if address:
        ray.init(address=address, log_to_driver=False, runtime_env={"env_vars": WORKER_ENV})
    else:
        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False,
                 runtime_env={"env_vars": WORKER_ENV})
    try:
        yield
    finally:
        ray.shutdown()
