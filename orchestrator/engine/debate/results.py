"""What a finished debate leaves behind, and how the store gives it back on resume."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from agents.models import Candidate
from orchestrator.engine.debate.state import Turn


def debate_id(seed: int, round_: int, slot: int) -> str:
    return hashlib.sha256(f"debate/{seed}/{round_}/{slot}".encode()).hexdigest()[:16]


@dataclass
class DebateResult:
    id: str
    round: int
    slot: int
    origin: str
    final: Candidate | None
    outcome: str
    error: str | None
    seconds: float
    turns: list[Turn] = field(default_factory=list)


def load_candidate(store, scenario_id: str, version: int) -> Candidate:
    """Raises: KeyError if the store lacks the scenario, its review or an evaluation."""
    c = store.find_candidate(scenario_id, version)
    if c is None:
        raise KeyError(f"scenario {scenario_id} is not fully evaluated in the store")
    return c


def load_result(store, row, version: int) -> DebateResult:
    final = load_candidate(store, row["final_scenario"], version) if row["final_scenario"] else None
    return DebateResult(row["id"], row["round"], row["slot"], row["origin"], final, row["outcome"],
                        row["error"], row["seconds"])


__all__ = ["DebateResult", "debate_id", "load_candidate", "load_result"]
