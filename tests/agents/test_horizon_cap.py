"""The loop's longest horizon (`AgentsConfig.max_horizon_days`): what the planner drafts and
the evolver breeds stays inside it, and the critic refuses anything longer even with its
gate switched off, so that every scenario fits a held-out test window of that length."""

from __future__ import annotations

import asyncio

import numpy as np

from agents.models import Brief, Candidate
from agents.procedural import ChecksCritic, OperatorEvolver, TemplatePlanner
from graph_schema import compile_scenario
from graph_schema.enums import Typology
from graph_schema.typologies import sample_scenario

CAP = 3.0


def test_planner_drafts_fit_the_cap_and_still_compile(world):
    planner = TemplatePlanner(world, seed=3, max_days=CAP)
    uncapped = TemplatePlanner(world, seed=3)
    longer = 0
    for t in Typology:
        for sample in range(2):
            brief = Brief(typology=t, complexity=5)
            s = asyncio.run(planner.plan(brief, sample))
            assert s.horizon_days <= CAP, (t, s.horizon_days)
            compile_scenario(s, world, 0)
            longer += asyncio.run(uncapped.plan(brief, sample)).horizon_days > CAP
    assert longer > 0  # the cap did change drafts


def test_evolver_children_fit_the_cap(world, stats, adversary):
    critic = ChecksCritic(world, stats=stats, max_days=CAP)
    parents = []
    for name in ("fan_out", "cycle", "stack"):
        s = asyncio.run(TemplatePlanner(world, seed=1, max_days=CAP).plan(Brief(typology=Typology(name)), 0))
        parents.append(Candidate(scenario=s, review=critic.review_now(s), report=adversary.evaluate_now(s)))
    kids = OperatorEvolver(world, seed=2, max_days=CAP, compound_rate=0.5).evolve_now(parents, 12, sample=0)
    assert kids and all(k.scenario.horizon_days <= CAP for k in kids)


def test_the_critic_refuses_a_longer_horizon_even_with_its_gate_off(world, stats):
    s = sample_scenario(np.random.default_rng(4), "fan_out")
    long = s.model_copy(update={"horizon_days": 8.0})
    rev = ChecksCritic(world, stats=stats, gate=False, max_days=CAP).review_now(long)
    assert not rev.accepted
    assert "agents.max_horizon_days" in rev.checks[0].reason and "8 days" in rev.checks[0].reason
    assert ChecksCritic(world, stats=stats, gate=False).review_now(long).accepted  # no cap: the gate is off


def test_llm_roles_fit_the_cap_too(world, scripted, adversary):
    """The LLM planner and mutator are held to the same cap (a model that writes the World's
    whole period gets its draft fitted, and is told the limit in its prompt); the whole-scenario
    LLM evolver refuses a longer child back to the model. The factory passes the cap to all."""
    import json

    from agents.digest import scenario_json
    from agents.factory import AgentsConfig, build_roles
    from agents.llm import LLMEvolver, LLMPlanner
    from agents.llm.mutator import LLMMutator

    long = json.loads(scenario_json(sample_scenario(np.random.default_rng(1), "fan_out")))
    long["horizon_days"] = 30.0
    b = scripted([json.dumps(long)])
    s = asyncio.run(LLMPlanner(b.client("planner"), world, max_days=CAP).plan(Brief(typology="fan_out")))
    assert s.horizon_days <= CAP
    compile_scenario(s, world, 0)
    assert f"at most {CAP} days" in b._model.messages.requests[0][-1].content
    parent = Candidate(scenario=s)
    edit = json.dumps({"edits": [{"parent": 0, "operator": "add_delay"}]})
    b = scripted([edit])
    (kid,) = asyncio.run(LLMMutator(b.client("evolver"), world, max_days=CAP).evolve([parent], 1))
    assert kid.scenario.horizon_days <= CAP
    parent = Candidate(scenario=s, report=adversary.evaluate_now(s))
    flagged = (parent.report.flagged_transfers or [s.transfers[0].id])[0]
    child = {"children": [{"parents": [0], "operator": "stretch", "answers": [flagged], "scenario": long}]}
    b = scripted([json.dumps(child)] * 3, cache=False)
    import pytest

    from agents.errors import LLMCallError
    with pytest.raises(LLMCallError, match="longer than an operation may last"):
        asyncio.run(LLMEvolver(b.client("evolver"), world, max_days=CAP).evolve([parent], 1))
    cfg = AgentsConfig.model_validate({"max_horizon_days": CAP, "planner": {"mode": "llm", "backend": "b"},
                                       "evolver": {"mode": "llm", "backend": "b"},
                                       "backends": {"b": {"kind": "scripted", "script": ["{}"]}}})
    roles = build_roles(cfg, world, {}, only=("planner", "evolver"))
    assert roles.planner.max_days == CAP and roles.evolver.max_days == CAP
