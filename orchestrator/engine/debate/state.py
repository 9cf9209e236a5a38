"""The state of one debate, and the record of its turns."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Annotated, Literal, TypedDict

from agents.models import Brief, Candidate, EvasionReport, Review
from graph_schema.dsl import Scenario

Outcome = Literal["accepted", "exhausted", "failed"]


@dataclass(frozen=True)
class Turn:
    """One role's contribution: what it produced, what it cost, or why it failed."""

    role: str
    model: str
    scenario_id: str | None
    payload: str | None  # the structured answer as JSON
    text: str
    tokens_in: int = 0
    tokens_out: int = 0
    latency_s: float = 0.0
    error: str | None = None
    calls: list[dict] = field(default_factory=list)


class DebateState(TypedDict, total=False):
    debate_id: str
    origin: Literal["plan", "evolve"]
    brief: Brief | None
    parents: list[Candidate]
    sample: int
    turn: int
    max_turns: int
    target: float
    measure: str  # the judge's evasion_measure: what `target` is compared with
    scenario: Scenario | None
    review: Review | None
    report: EvasionReport | None
    best: Candidate | None
    outcome: Outcome | None
    error: str | None
    turns: Annotated[list[Turn], operator.add]


__all__ = ["DebateState", "Outcome", "Turn"]
