"""Token accounting per role and model, and per-call records the orchestrator stores."""

from __future__ import annotations

import contextlib
import threading
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class CallRecord:
    """One chat-model call (one attempt of a structured call)."""

    role: str
    model: str
    endpoint: str
    method: str
    sample: int
    attempt: int
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    cache_hit: bool
    ok: bool
    error: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Usage:
    """Totals of one (role, model)."""

    calls: int = 0
    cache_hits: int = 0
    failures: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0  # tokens of answers served from the cache (not spent again)
    seconds: float = 0.0

    @property
    def spent(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass
class TokenLedger:
    """Usage by (role, model); thread-safe."""

    usage: dict[tuple[str, str], Usage] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, r: CallRecord) -> None:
        with self._lock:
            u = self.usage.setdefault((r.role, r.model), Usage())
            u.calls += 1
            u.seconds += r.latency_s
            u.failures += not r.ok
            if r.cache_hit:
                u.cache_hits += 1
                u.cached_tokens += r.prompt_tokens + r.completion_tokens
            else:
                u.prompt_tokens += r.prompt_tokens
                u.completion_tokens += r.completion_tokens
        for sink in _COLLECTOR.get():
            sink.append(r)

    @property
    def spent(self) -> int:
        """Tokens sent to and received from endpoints (cache hits cost nothing)."""
        with self._lock:
            return sum(u.spent for u in self.usage.values())

    def rows(self) -> list[dict]:
        with self._lock:
            return [{"role": role, "model": model, **asdict(u), "spent": u.spent}
                    for (role, model), u in sorted(self.usage.items())]


_COLLECTOR: ContextVar[tuple[list, ...]] = ContextVar("redledger_calls", default=())


@contextlib.contextmanager
def collect_calls():
    """Collect the CallRecords made inside the block (within this task and its threads).

    The orchestrator wraps each role call in it to attribute tokens and latency to a
    debate turn without knowing whether an LLM was involved. Blocks nest: a record goes to
    every enclosing block.
    """
    calls: list[CallRecord] = []
    token = _COLLECTOR.set((*_COLLECTOR.get(), calls))
    try:
        yield calls
    finally:
        _COLLECTOR.reset(token)


__all__ = ["CallRecord", "TokenLedger", "Usage", "collect_calls"]
