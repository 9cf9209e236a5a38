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
