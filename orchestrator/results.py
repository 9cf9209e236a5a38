"""What a finished debate leaves behind, and how the store gives it back on resume."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from agents.models import Candidate, EvasionReport, Review
from graph_schema.dsl import Scenario
from orchestrator.debate.state import Turn


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


def persist(store, db, res: DebateResult, version: int) -> None:
    """Scenarios, reviews and evaluations of every turn, then the debate and its turns."""
    for t in res.turns:
        if t.payload is None:
            continue
        if t.role in ("planner", "evolver"):
            store.put_scenario(db, Scenario.model_validate_json(t.payload), res.round)
        elif t.role == "critic":
            store.put_review(db, Review.model_validate_json(t.payload))
        elif t.role == "adversary":
            store.put_evaluation(db, EvasionReport.model_validate_json(t.payload), version)
    store.put_debate(db, res)


def find_candidate(store, scenario_id: str, version: int) -> Candidate | None:
    """The scenario with its review and latest evaluation up to detector ``version``;
    None if one of them is not in the store."""
    db = store.db
    s = db.execute("SELECT body FROM scenarios WHERE id = ?", (scenario_id,)).fetchone()
    r = db.execute("SELECT body FROM reviews WHERE scenario_id = ?", (scenario_id,)).fetchone()
    e = db.execute("SELECT body FROM evaluations WHERE scenario_id = ? AND detector_version <= ? "
                   "ORDER BY detector_version DESC LIMIT 1", (scenario_id, version)).fetchone()
    if s is None or r is None or e is None:
        return None
    return Candidate(scenario=Scenario.model_validate_json(s[0]), review=Review.model_validate_json(r[0]),
                     report=EvasionReport.model_validate_json(e[0]))


def load_candidate(store, scenario_id: str, version: int) -> Candidate:
    """Raises: KeyError if the store lacks the scenario, its review or an evaluation."""
    c = find_candidate(store, scenario_id, version)
    if c is None:
        raise KeyError(f"scenario {scenario_id} is not fully evaluated in the store")
    return c


def load_result(store, row, version: int) -> DebateResult:
    final = load_candidate(store, row["final_scenario"], version) if row["final_scenario"] else None
    return DebateResult(row["id"], row["round"], row["slot"], row["origin"], final, row["outcome"],
                        row["error"], row["seconds"])


__all__ = ["DebateResult", "debate_id", "find_candidate", "load_candidate", "load_result", "persist"]
