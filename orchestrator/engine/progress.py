"""Where a running run stands: what the live view, `status` and the web workspace show.

The supervisor reports a `Progress` after every debate and round; the run saves it in the
store (at most twice a second, and at every round close), and readers get it back typed.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, fields


@dataclass
class Progress:
    """The round in flight (rounds count from 0) and the run's running totals."""

    round: int = 0
    in_flight: int = 0
    done: int = 0
    planned: int = 0
    coverage: float = 0.0
    best_elo: float = 0.0
    tokens: int = 0
    detector_version: int = 0
    round_seconds: list[float] = field(default_factory=list)
    status: str = "starting"
    warnings: list[str] = field(default_factory=list)
    time: float = 0.0  # when it was saved (Unix seconds)

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "time": time.time()})

    @classmethod
    def from_json(cls, text: str | None) -> Progress | None:
        """The saved progress, or None when none was saved (fields of other versions are ignored)."""
        if not text:
            return None
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in json.loads(text).items() if k in known})


__all__ = ["Progress"]
