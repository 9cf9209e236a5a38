"""The debate protocol as one LangGraph graph.

    propose ─► critique ─┐
            └► attack  ──┴► decide ─► propose (revise) … or END

The planner proposes (or the evolver breeds from elites); the critic and the adversary
answer in parallel; the evolver revises the best candidate against their answers; this
repeats up to ``max_turns`` or until the critic accepts and evasion reaches the target.
"""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph

from orchestrator.engine.debate.nodes import (
    after_decide,
    after_propose,
    attack,
    critique,
    decide,
    propose,
)
from orchestrator.engine.debate.state import DebateState
from orchestrator.engine.roles import RoleCalls

builder = StateGraph(DebateState, context_schema=RoleCalls)
builder.add_node("propose", propose)
builder.add_node("critique", critique)
builder.add_node("attack", attack)
builder.add_node("decide", decide)
builder.add_edge(START, "propose")
builder.add_conditional_edges("propose", after_propose, ["critique", "attack", "decide", END])
builder.add_edge(["critique", "attack"], "decide")
builder.add_conditional_edges("decide", after_decide, ["propose", END])

graph = builder.compile()

__all__ = ["graph"]
