"""Ray for every part of redledger: `ray_session` starts or joins it, and `ray_runner` is a
`graph_schema.runner.Runner` that runs jobs as Ray tasks (one CPU each).

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


def ray_started() -> bool:
    """Is Ray initialised in this process?"""
    import ray

    return ray.is_initialized()


@contextlib.contextmanager
def ray_session(address: str | None = None, workers: int | None = None, worker_env: dict | None = None,
                temp_dir: str | None = None) -> Iterator[None]:
    """The one way redledger starts or joins Ray (runs, experiments, sharded Worlds, doctor).

    Joins the cluster at ``address``, or starts a local instance with ``workers`` CPUs (all
    of them when None), without a dashboard; ``worker_env`` is set in every worker's
    environment; ``temp_dir`` is Ray's session directory. A session already open in this
    process is used as it is. A session started here is shut down on exit.
    """
    import ray

    if ray.is_initialized():
        yield
        return
    kw: dict = {"log_to_driver": False}
    if worker_env:
        kw["runtime_env"] = {"env_vars": dict(worker_env)}
    if address:
        ray.init(address=address, **kw)
    else:
        ray.init(num_cpus=workers, include_dashboard=False, _temp_dir=temp_dir, **kw)
    try:
        yield
    finally:
        ray.shutdown()




class RayPool:
    """Calls of ``fn`` as Ray tasks (one CPU each, never retried), each under a key, and
    collected as they finish rather than in the order they were submitted."""

    def __init__(self, fn: Callable[..., Any]):
        import ray

        self._ray = ray
        self._remote = ray.remote(num_cpus=1, max_retries=0)(fn)
        self._running: dict = {}

    def submit(self, key: str, *args: Any) -> None:
        self._running[self._remote.remote(*args)] = key

    @property
    def keys(self) -> list[str]:
        """The keys in flight."""
        return list(self._running.values())

    def finished(self, timeout_s: float = 1.0) -> list[tuple[str, BaseException | None]]:
        """The calls that finished within ``timeout_s``: (key, None) or (key, the error it raised)."""
        if not self._running:
            return []
        ready, _ = self._ray.wait(list(self._running), num_returns=1, timeout=timeout_s)
        out: list[tuple[str, BaseException | None]] = []
        for ref in ready:
            key = self._running.pop(ref)
            try:
                self._ray.get(ref)
                out.append((key, None))
            except Exception as err:  # noqa: BLE001 - handed to the caller with its key
                out.append((key, err))
        return out


__all__ = ["WORKER_ENV", "RayPool", "ray_runner", "ray_session", "ray_started"]
