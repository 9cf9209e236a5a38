"""Nodes of the debate graph: plain async functions ``(state, runtime) -> partial update``.

Roles are reached through `runtime.context` (a `RoleCalls`), which returns each answer
with its call records; whether a procedure, a chat model or a Ray actor answered is
invisible here.
"""

from __future__ import annotations

from langgraph.graph import END
from langgraph.runtime import Runtime

from agents.models import Candidate
from agents.principles import evasion_of
from orchestrator.engine.debate.state import DebateState, Turn
from orchestrator.engine.roles import RoleCalls, RoleFailure


def _turn(role: str, out, scenario_id: str | None, text: str, payload: str | None) -> Turn:
    return Turn(role=role, model=out.model, scenario_id=scenario_id, payload=payload, text=text[:2000],
                tokens_in=out.tokens_in, tokens_out=out.tokens_out, latency_s=out.latency_s, calls=out.calls)


def _failed(role: str, err: RoleFailure) -> Turn:
    """A failed turn keeps the model and the LLM requests it made: they were spent all the same."""
    spent = [c for c in err.calls if not c["cache_hit"]]
    return Turn(
        role=role,
        model=err.model,
        scenario_id=None,
        payload=None,
        text="",
        latency_s=err.latency_s,
        tokens_in=sum(c["prompt_tokens"] for c in spent),
        tokens_out=sum(c["completion_tokens"] for c in spent),
        error=err.cause,
        calls=err.calls,
    )


async def propose(state: DebateState, runtime: Runtime[RoleCalls]) -> dict:
    """Turn 0: the planner drafts from the brief (or the evolver breeds from elites);
    later turns: the evolver revises the current candidate against its review and report."""
    roles, t = runtime.context, state["turn"]
    sample = state["sample"] * 100 + t
    try:
        if t == 0 and state["origin"] == "plan":
            out = await roles.call("planner", "plan", state["brief"], sample)
            s, role, why = out.value, "planner", f"draft for brief {state['brief'].uid}"
        else:
            parents = state["parents"] if t == 0 else [state["best"]]
            out = await roles.call("evolver", "evolve", parents, 1, sample)
            if not out.value:
                raise RoleFailure(
                    "evolver", "no child could be made from the parents", out.model, out.latency_s, out.calls
                )
            child = out.value[0]
            s, role = child.scenario, "evolver"
            why = f"{child.operator}: " + "; ".join(child.answers)
    except RoleFailure as err:
        return {
            "turns": [_failed(err.role, err)],
            "outcome": "failed" if t == 0 else None,
            "error": err.cause if t == 0 else state.get("error"),
            "scenario": None,
        }
    return {"scenario": s, "turns": [_turn(role, out, s.uid, why, s.model_dump_json())]}


async def _answer(
    state: DebateState, runtime: Runtime[RoleCalls], role: str, method: str, key: str, text_of
) -> dict:
    """One answer to the current scenario, stored under ``key`` with its turn."""
    s = state["scenario"]
    try:
        out = await runtime.context.call(role, method, s)
    except RoleFailure as err:
        return {"turns": [_failed(role, err)], key: None}
    r = out.value
    return {key: r, "turns": [_turn(role, out, s.uid, text_of(r), r.model_dump_json())]}


async def critique(state: DebateState, runtime: Runtime[RoleCalls]) -> dict:
    return await _answer(state, runtime, "critic", "review", "review", lambda r: r.summary)


async def attack(state: DebateState, runtime: Runtime[RoleCalls]) -> dict:
    return await _answer(state, runtime, "adversary", "evaluate", "report", lambda r: r.argument)


def _rank(c: Candidate | None, measure: str) -> tuple:
    return (-1.0, 0.0) if c is None else (float(c.review.accepted), evasion_of(c.report, measure, c.review))


def decide(state: DebateState) -> dict:
    """Keep the better of the new candidate and the best so far; end when done."""
    best = state.get("best")
    if state.get("review") is not None and state.get("report") is not None:
        new = Candidate(scenario=state["scenario"], review=state["review"], report=state["report"])
        if _rank(new, state["measure"]) >= _rank(best, state["measure"]):
            best = new
    t = state["turn"] + 1
    if (
        best is not None
        and best.review.accepted
        and evasion_of(best.report, state["measure"], best.review) >= state["target"]
    ):
        outcome = "accepted"
    elif t >= state["max_turns"]:
        outcome = "exhausted" if best is not None else "failed"
    else:
        outcome = None
    err = None if best is not None else "no candidate was evaluated"
    return {
        "best": best,
        "turn": t,
        "outcome": outcome,
        "error": err if outcome == "failed" else None,
        "review": None,
        "report": None,
    }


def after_propose(state: DebateState) -> list[str] | str:
    """Critic and adversary in parallel, or straight to the decision if nothing was proposed."""
    if state.get("outcome") == "failed":
        return END
    return ["critique", "attack"] if state.get("scenario") is not None else "decide"


def after_decide(state: DebateState) -> str:
    if state.get("outcome") is not None or state.get("best") is None:
        return END
    return "propose"


__all__ = ["after_decide", "after_propose", "attack", "critique", "decide", "propose"]
