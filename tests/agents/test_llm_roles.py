"""Every LLM role against the scripted fake chat model: structured answers, repair loops
that quote the error back, numbers that stay the detectors', and clear failures."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest

from agents.errors import LLMCallError
from agents.llm import LLMAdversary, LLMCritic, LLMEvolver, LLMJudge, LLMPlanner
from agents.models import Brief, Candidate, Winner
from agents.principles import load_principles
from agents.procedural import ChecksCritic
from graph_schema.enums import Typology
from graph_schema.typologies import sample_scenario
from tests.conftest import fan_doc


def run(coro):
    return asyncio.run(coro)


def requests(backend):
    return backend._model.messages.requests


def test_planner_repairs_an_invalid_first_answer(scripted, world, scenario):
    b = scripted(['{"name": "x", "typology": ["fan_out"]}', scenario.model_dump_json()])
    s = run(LLMPlanner(b.client("planner"), world).plan(Brief(typology=Typology.FAN_OUT)))
    assert s.transfers == scenario.transfers and s.lineage.operator == "llm:planner"
    second = requests(b)[1]
    assert "not a valid Scenario" in second[-1].content and "funds_placed" in second[-1].content
    rows = b.ledger.rows()
    assert rows[0]["role"] == "planner" and rows[0]["calls"] == 2 and rows[0]["spent"] > 0


def test_planner_gets_compile_errors_verbatim(scripted, world):
    bad = fan_doc()
    bad["entities"][2]["jurisdiction"] = "ZZ"
    b = scripted([json.dumps(bad), json.dumps(fan_doc())])
    s = run(LLMPlanner(b.client("planner"), world).plan(Brief(typology=Typology.FAN_OUT)))
    assert s.entities[2].jurisdiction == "DE"
    feedback = requests(b)[1][-1].content
    assert "entities[2].jurisdiction: this World has no bank in 'ZZ'" in feedback


def test_planner_fixes_an_undeclared_entity_without_asking_the_model_again(scripted, world):
    bad = fan_doc()
    bad["transfers"][3]["dst"] = "small_business_1"
    b = scripted([json.dumps(bad)])
    planner = LLMPlanner(b.client("planner"), world)
    s = run(planner.plan(Brief(typology=Typology.FAN_OUT)))
    assert len(requests(b)) == 1 and s.entities[-1].id == "small_business_1"
    assert planner.fixit_log[s.uid] == ["declared entity 'small_business_1' (hijacked small_business)"]
    b = scripted([json.dumps(bad), json.dumps(fan_doc())])  # with fix-its off, the error goes back
    s = run(LLMPlanner(b.client("planner"), world, fixits=False).plan(Brief(typology=Typology.FAN_OUT)))
    assert "unknown entity 'small_business_1'" in requests(b)[1][-1].content


def test_planner_fails_clearly_after_three_attempts(scripted, world):
    b = scripted(["not json at all"] * 3)
    with pytest.raises(LLMCallError) as e:
        run(LLMPlanner(b.client("planner"), world).plan(Brief(typology=Typology.FAN_OUT)))
    msg = str(e.value)
    assert msg.startswith("role planner at scripted://fake: no valid Scenario after 3 attempts")
    assert "\n" not in msg and len(requests(b)) == 3


def test_planner_insists_on_the_briefs_typology(scripted, world, scenario):
    b = scripted([scenario.model_dump_json(), scenario.model_dump_json()])
    with pytest.raises(LLMCallError):
        run(LLMPlanner(b.client("planner"), world, ).plan(Brief(typology=Typology.CYCLE)))
    assert "primary typology" in requests(b)[1][-1].content


def _llm_review(names, drop=None):
    checks = [{"name": n, "score": 0.5 if n == "camouflage" else 0.9, "reason": f"reason {n}"}
              for n in names if n != drop]
    return json.dumps({"checks": checks, "critiques": [
        {"check": "camouflage", "severity": 0.5, "text": "the mule's rate triples"}], "summary": "ok"})


def test_critic_scores_each_principle_and_weights_them_itself(scripted, world, stats, scenario):
    names = [p.name for p in load_principles().critic.principles]
    b = scripted([_llm_review(names, drop="camouflage"), _llm_review(names)])
    r = run(LLMCritic(b.client("critic"), ChecksCritic(world, stats=stats)).review(scenario))
    assert "missing principle(s) ['camouflage']" in requests(b)[1][-1].content
    w = {p.name: p.weight for p in load_principles().critic.principles}
    expect = (sum(w.values()) * 0.9 - 0.4 * w["camouflage"]) / sum(w.values())
    assert r.realism == pytest.approx(expect, abs=1e-6)
    assert r.reviewer == "scripted" and r.critiques[0].check == "camouflage"
    user = requests(b)[0][1].content
    assert "What it compiles to" in user and "amount_plausibility:" in user  # flows and evidence


def test_adversary_numbers_come_from_the_detectors(scripted, adversary, scenario):
    b = scripted([json.dumps({"argument": "Evasion is 0.99 and nothing is flagged.", "exposed": ["nope"]}),
                  json.dumps({"argument": "The fan's legs share one origin.", "exposed": ["out_0"],
                              "suggestions": ["fewer legs"]})])
    rep = run(LLMAdversary(b.client("adversary"), adversary).evaluate(scenario))
    ref = adversary.evaluate_now(scenario)
    assert rep.model_dump(exclude={"argument", "author"}) == ref.model_dump(exclude={"argument", "author"})
    assert rep.argument.startswith("The fan's legs") and rep.author == "scripted"
    assert "['nope'] are not transfer ids" in requests(b)[1][-1].content


def _parents(world, stats, adversary):
    critic = ChecksCritic(world, stats=stats)
    out = []
    for name in ("fan_out", "stack"):
        s = sample_scenario(np.random.default_rng(3), name)
        out.append(Candidate(scenario=s, review=critic.review_now(s), report=adversary.evaluate_now(s)))
    return out


def test_evolver_children_name_the_critique_they_answer(scripted, world, stats, adversary):
    parents = _parents(world, stats, adversary)
    child = parents[0].scenario.model_dump(mode="json")
    child["horizon_days"] = 9.5
    wrong = {"children": [{"parents": [0], "operator": "spread", "answers": ["C99"], "scenario": child}]}
    good = {"children": [{"parents": [0], "operator": "spread", "answers": ["C1"], "scenario": child}]}
    b = scripted([json.dumps(wrong), json.dumps(good)])
    kids = run(LLMEvolver(b.client("evolver"), world).evolve(parents, 1))
    assert "children[0].answers: ['C99'] are neither critique ids" in requests(b)[1][-1].content
    (k,) = kids
    assert k.operator == "llm:spread" and k.scenario.lineage.parents == [parents[0].scenario.uid]
    assert k.scenario.lineage.generation == 1
    assert k.answers == [parents[0].review.critiques[0].key]
    assert "C1 [" in requests(b)[0][1].content  # the critiques were offered with their ids


def test_evolver_children_must_compile(scripted, world, stats, adversary):
    parents = _parents(world, stats, adversary)
    child = parents[0].scenario.model_dump(mode="json")
    child["entities"][0]["jurisdiction"] = "ZZ"
    b = scripted([json.dumps({"children": [{"parents": [0], "operator": "x", "answers": ["C1"],
                                            "scenario": child}]})] * 3)
    with pytest.raises(LLMCallError, match="no valid EvolverAnswer after 3 attempts"):
        run(LLMEvolver(b.client("evolver"), world).evolve(parents, 1))
    assert "children[0].scenario.entities[0].jurisdiction" in requests(b)[1][-1].content


def test_judge_asks_both_orders(scripted, world, stats, adversary):
    a, c = _parents(world, stats, adversary)
    ans = lambda w: json.dumps({"winner": w, "confidence": 0.8, "rationale": "evasion"})  # noqa: E731
    consistent = scripted([ans("a"), ans("b")], cache=False)
    v = run(LLMJudge(consistent.client("judge")).compare(a, c))
    assert v.winner is Winner.A and v.judge == "scripted"
    biased = scripted([ans("a"), ans("a")], cache=False)  # always the first shown
    v = run(LLMJudge(biased.client("judge")).compare(a, c))
    assert v.winner is Winner.TIE and "position-dependent" in v.rationale
