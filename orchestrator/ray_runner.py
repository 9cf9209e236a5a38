"""A `graph_schema.runner.Runner` that runs jobs as Ray tasks (one CPU each).

The common arguments are put into the object store once, so every task reads the same
copy (numpy arrays are shared, not copied, between workers on one node). Results are
yielded in job order with at most two tasks per CPU in flight, so results that finish
early wait in the object store only briefly.
"""

from __future__ import annotations

import collections
import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

WORKER_ENV = {"OMP_NUM_THREADS": "1"}  # one thread per task is fastest when tasks share the cores


def _call(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


def ray_runner(fn: Callable[..., Any], common: tuple, jobs: Sequence[tuple]) -> Iterator:
    import ray

    remote = ray.remote(num_cpus=1, max_retries=0)(_call)
    refs = [ray.put(c) for c in common]
    limit = 2 * max(1, int(ray.cluster_resources().get("CPU", 1)))
    pending: collections.deque = collections.deque()
    todo = iter(jobs)
    try:
        while True:
            while len(pending) < limit and (job := next(todo, None)) is not None:
                pending.append(remote.remote(fn, *refs, *job))
            if not pending:
                return
            yield ray.get(pending.popleft())
    finally:
        for ref in pending:
            ray.cancel(ref)


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
