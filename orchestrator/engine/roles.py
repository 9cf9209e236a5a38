"""Calling the roles: hosts that hold a role object, and the dispatcher the debate uses.

`RoleHost` is a plain class (unit-tested as it is); the Ray actor in
`orchestrator.engine.actors` wraps one. `RoleCalls` sends each call to the least busy host of
the role's pool, bounds it with a timeout, and turns every failure into a `RoleFailure`
with its cause, so a debate records it instead of crashing.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from agents.errors import RoleError
from agents.llm import collect_calls
from graph_schema.errors import ScenarioError


class FaultConfig(BaseModel):
    """Injected faults, to test that runs survive failing roles (0 = none)."""

    model_config = ConfigDict(extra="forbid")

    rate: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Share of role calls that fail; the n-th call of each role and method on a "
        "host fails or not by a hash of (run seed, role, method, n), so the same calls fail on every "
        "machine.",
    )
    timeout_share: float = Field(
        0.5, ge=0, le=1, description="Of the injected faults, the share that hang until the call timeout."
    )


class InjectedFault(RuntimeError):
    """A failure injected by `FaultConfig`."""


def fault_draw(seed: int, role: str, method: str, n: int) -> float:
    """The uniform draw in [0, 1] that decides whether call ``n`` (counted from 0 per host
    and method) of ``role.method`` fails. It depends on integers only: never on a call's
    arguments, which carry detector scores whose last bits differ between CPU families."""
    return int(hashlib.sha256(f"{seed}|{role}|{method}|{n}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def _cause(err: BaseException) -> str:
    if isinstance(err, RoleError | ScenarioError | InjectedFault):
        return " ".join(str(err).split())[:500]
    return f"{type(err).__name__}: {' '.join(str(err).split())[:400]}"


class RoleHost:
    """Holds one role object and answers calls to it, with its call records.

    A failed call comes back as a one-line cause together with the records of every LLM
    request it made, so that failed requests are stored and counted like the others.

    Args:
        timeout_s: the bound on one role call; past it the call fails with the requests so far.
        hang_s: how long an injected timeout fault hangs (beyond any dispatcher's timeout).
    """

    def __init__(
        self,
        role: str,
        obj,
        faults: FaultConfig | None = None,
        hang_s: float = 3600.0,
        timeout_s: float | None = None,
        seed: int = 0,
    ):
        self.role, self.obj, self.faults, self.hang_s = role, obj, faults or FaultConfig(), hang_s
        self.timeout_s, self.seed = timeout_s, seed
        self._calls: dict[str, int] = {}

    async def call(self, method: str, args: tuple) -> tuple[object, list[dict], float, str | None]:
        """(value, call records, seconds, None) or (None, call records, seconds, cause)."""
        t0 = time.monotonic()
        n = self._calls[method] = self._calls.get(method, -1) + 1
        if self.faults.rate:
            u = fault_draw(self.seed, self.role, method, n)
            if u < self.faults.rate:
                if u < self.faults.rate * self.faults.timeout_share:
                    await asyncio.sleep(self.hang_s)
                return None, [], time.monotonic() - t0, f"injected fault in {self.role}.{method}"
        with collect_calls() as calls:
            try:
                value = await asyncio.wait_for(getattr(self.obj, method)(*args), self.timeout_s)
            except TimeoutError:
                return (
                    None,
                    [c.as_dict() for c in calls],
                    time.monotonic() - t0,
                    f"timed out after {self.timeout_s:g} s",
                )
            except Exception as err:  # noqa: BLE001 - every failure is a recorded cause, never a crash
                return None, [c.as_dict() for c in calls], time.monotonic() - t0, _cause(err)
        return value, [c.as_dict() for c in calls], time.monotonic() - t0, None

    def swap(self, obj) -> None:
        """Replace the role object (the adversary after the detectors retrain)."""
        self.obj = obj


@dataclass
class RoleOutput:
    value: object
    model: str
    tokens_in: int
    tokens_out: int
    latency_s: float
    calls: list[dict]


class RoleFailure(Exception):
    """A role call that failed: error, invalid output, or timeout; ``cause`` is one line."""

    def __init__(
        self,
        role: str,
        cause: str,
        model: str = "procedural",
        latency_s: float = 0.0,
        calls: list[dict] | None = None,
    ):
        super().__init__(f"{role}: {cause}")
        self.role, self.cause, self.model, self.latency_s, self.calls = (
            role,
            cause,
            model,
            latency_s,
            calls or [],
        )


def _model(calls: list[dict]) -> str:
    return calls[0]["model"] if calls else "procedural"


@dataclass
class RoleCalls:
    """The debate's context: a pool of hosts (plain or Ray actor handles) per role."""

    pools: dict[str, list]
    timeout_s: float = 600.0
    _busy: dict = field(default_factory=dict)

    def _pick(self, role: str):
        pool = self.pools[role]
        i = min(range(len(pool)), key=lambda k: (self._busy.get((role, k), 0), k))
        return i, pool[i]

    async def call(self, role: str, method: str, *args) -> RoleOutput:
        """Raises: RoleFailure (with the model and LLM requests of the failed call)."""
        i, host = self._pick(role)
        self._busy[(role, i)] = self._busy.get((role, i), 0) + 1
        t0 = time.monotonic()
        try:
            pending = (
                host.call.remote(method, args) if hasattr(host.call, "remote") else host.call(method, args)
            )
            # the host bounds the role call itself and returns its requests; this bound is for a hung host
            value, calls, latency, cause = await asyncio.wait_for(pending, self.timeout_s * 1.1 + 1)
        except TimeoutError:
            raise RoleFailure(
                role, f"timed out after {self.timeout_s:g} s", latency_s=time.monotonic() - t0
            ) from None
        except Exception as err:  # noqa: BLE001 - Ray wraps actor errors; record, don't crash
            raise RoleFailure(
                role, _cause(getattr(err, "cause", None) or err), latency_s=time.monotonic() - t0
            ) from None
        finally:
            self._busy[(role, i)] -= 1
        if cause is not None:
            raise RoleFailure(role, cause, _model(calls), latency, calls)
        return RoleOutput(
            value,
            _model(calls),
            sum(c["prompt_tokens"] for c in calls if not c["cache_hit"]),
            sum(c["completion_tokens"] for c in calls if not c["cache_hit"]),
            latency,
            calls,
        )


__all__ = ["FaultConfig", "InjectedFault", "fault_draw", "RoleCalls", "RoleFailure", "RoleHost", "RoleOutput"]
