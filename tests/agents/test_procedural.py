"""Procedural roles: the planner honours briefs, the critic's checks catch what they name,
the adversary's numbers are the detector's, operators yield valid children, the judge
follows its principles, and evolution really raises evasion."""

from __future__ import annotations

import asyncio
import copy

import numpy as np
import pytest

from agents.errors import ConfigError
from agents.models import Brief, Candidate
from agents.principles import load_principles
from agents.procedural import (
    CHECKS,
    OPERATORS,
    ChecksCritic,
    OperatorEvolver,
    PrinciplesJudge,
    TemplatePlanner,
)
from agents.procedural.operators import OpContext, crossover
from agents.procedural.steering import steer
from experiments.bench.evolution import evolve_population
from graph_schema import ScenarioError, compile_scenario, parse_scenario
from graph_schema.enums import Channel, Typology
from graph_schema.typologies import sample_scenario
from graph_schema.world import second_world
from tests.conftest import fan_doc


def run(coro):
    return asyncio.run(coro)


# ---------------------------------------------------------------- planner


def test_planner_follows_the_brief_and_is_reproducible(world):
    p = TemplatePlanner(world, seed=4)
    brief = Brief(typology=Typology.FAN_OUT, channels=[Channel.WIRE], jurisdictions=["GB"], complexity=5)
    a, b, c = run(p.plan(brief, 0)), run(p.plan(brief, 0)), run(p.plan(brief, 1))
    assert a == b and a.uid != c.uid
    assert a.typology[0] is Typology.FAN_OUT
    assert {t.channel for t in a.transfers} == {Channel.WIRE}
    assert {e.jurisdiction for e in a.entities} == {"GB"}
    small = run(p.plan(brief.model_copy(update={"complexity": 1}), 0))
    assert len(a.transfers) > len(small.transfers)  # complexity sizes the operation
    compile_scenario(a, world)


def test_planner_answers_red_flags_to_avoid(world):
    p = TemplatePlanner(world, seed=2)
    s = run(p.plan(Brief(typology=Typology.MULE_NETWORK, avoid=["many new accounts"]), 0))
    assert s.lineage.operator.endswith("+avoid")
    plain = run(p.plan(Brief(typology=Typology.MULE_NETWORK), 0))
    hijacked = lambda x: sum(e.recruit.mode == "hijack" for e in x.entities)  # noqa: E731
    assert hijacked(s) > hijacked(plain)


# ---------------------------------------------------------------- critic


def _review(world, stats, doc, **kw):
    return ChecksCritic(world, stats=stats, **kw).review_now(parse_scenario(doc))


def test_every_check_scores_in_range_with_a_reason(world, stats):
    r = _review(world, stats, fan_doc())
    # the realism discriminator's check runs only with a fitted discriminator (tests/agents/test_giveaway.py)
    assert {c.name for c in r.checks} == set(CHECKS) - {"realism_discriminator"}
    assert all(0 <= c.score <= 1 and c.reason for c in r.checks)
    assert r.critiques == sorted(r.critiques, key=lambda c: -c.severity)


def _score(review, name):
    return next(c for c in review.checks if c.name == name)


def test_checks_catch_what_they_name(world, stats):
    doc = fan_doc()
    # a card payment of twenty thousand dollars
    doc["transfers"][0].update(channel="Credit Card", amount={"kind": "fixed", "value": 20_000})
    # m1 forwards everything it receives: no launderer's cut
    doc["transfers"][2]["amount"] = {"kind": "fraction", "fraction": 1.0}
    # a large business account hijacked as a mule
    doc["entities"][1]["recruit"] = {"mode": "hijack", "profile": "large_business"}
    doc["narrative"] = "Step 1: funds go to 40 recipients by Bitcoin in Panama."
    r = _review(world, stats, doc)
    amount = _score(r, "amount_plausibility")
    assert amount.score < 1 and "'a'" in amount.reason
    cut = _score(r, "launderers_cut")
    assert cut.score < 1 and "'m1' keeps 0.0%" in cut.reason
    assert "large_business" in _score(r, "mule_recruitment").reason
    grounding = _score(r, "narrative_grounding")
    assert grounding.score < 0.5 and "40 recipients" in grounding.reason
    assert _score(r, "responsible_scope").score == 0
    clean = _review(world, stats, fan_doc(narrative="Proceeds move through two mules to a collector."))
    assert clean.realism > r.realism
    assert _score(clean, "responsible_scope").score == 1
    assert _score(clean, "narrative_grounding").score == 1


def test_camouflage_flags_an_account_far_from_its_peers(world, stats):
    calm_doc = fan_doc()
    # m2 (a new salaried account) passes the money on in payments sized like its peers'
    calm_doc["transfers"][3]["amount"] = {"kind": "mimic", "parts": 3,
                                          "total": {"kind": "fraction", "fraction": 0.9}}
    doc = copy.deepcopy(calm_doc)
    doc["transfers"][1]["amount"] = {"kind": "split", "parts": 60, "under": 900,
                                     "total": {"kind": "fraction", "fraction": 0.5}}
    doc["transfers"][1]["timing"]["every"] = {"dist": "uniform", "low": 0.1, "high": 0.5}
    busy = _score(_review(world, stats, doc), "camouflage")
    calm = _score(_review(world, stats, calm_doc), "camouflage")
    assert busy.score < calm.score and "'m2' stands out: its transaction rate" in busy.reason


def test_a_scenario_that_does_not_compile_is_rejected_with_the_rule(world, stats):
    doc = fan_doc()
    doc["entities"][2]["jurisdiction"] = "ZZ"
    r = _review(world, stats, doc)
    assert not r.accepted and r.realism == 0
    assert "entities[2].jurisdiction" in r.critiques[0].text


def test_principles_file_changes_the_standard_without_code(world, stats, tmp_path):
    base = _review(world, stats, fan_doc())
    text = load_principles_text().replace("accept_threshold = 0.6", "accept_threshold = 0.99")
    strict = tmp_path / "strict.toml"
    strict.write_text(text)
    r = _review(world, stats, fan_doc(), principles=load_principles(strict))
    assert base.accepted and not r.accepted and r.realism == pytest.approx(base.realism)
    reweighted = tmp_path / "w.toml"
    reweighted.write_text(text.replace('name = "timing_plausibility"\nweight = 1.0',
                                       'name = "timing_plausibility"\nweight = 9.0'))
    r2 = _review(world, stats, fan_doc(), principles=load_principles(reweighted))
    assert r2.realism != pytest.approx(base.realism)


def load_principles_text() -> str:
    from importlib import resources
    return resources.files("agents").joinpath("principles.toml").read_text()


def test_bad_principles_file_names_the_field(tmp_path):
    bad = tmp_path / "p.toml"
    bad.write_text(load_principles_text().replace("accept_threshold = 0.6", "accept_threshold = 7"))
    with pytest.raises(ConfigError, match=r"p.toml: critic.accept_threshold: .*less than or equal to 1"):
        load_principles(bad)


# ---------------------------------------------------------------- adversary


def test_adversary_reports_the_detectors_numbers(world, adversary, detector, scenario):
    rep = adversary.evaluate_now(scenario)
    c = compile_scenario(scenario, world, 0)
    arm = adversary.armed[0]
    scores = detector.score_injected(arm.world_graph, c.rows)
    d = rep.detectors[0]
    assert d.rows == c.rows.num_rows and d.flagged == int((scores >= arm.threshold).sum())
    assert d.mean_score == pytest.approx(float(scores.mean()))
    assert {t.transfer for t in rep.transfers} == {t.id for t in scenario.transfers}
    assert sum(t.rows for t in rep.transfers) == c.rows.num_rows
    assert rep.evaded_share == pytest.approx(1 - d.flagged / d.rows, abs=1e-6)
    flagged = [t.transfer for t in rep.transfers if t.flagged_rows]
    assert 0 <= rep.evasion <= 1 and rep.flagged_transfers == flagged
    # the alert threshold is the World's top-0.5% quantile of this detector's own scores
    assert np.mean(arm.sorted_scores >= arm.threshold) == pytest.approx(0.005, abs=0.001)


def test_saved_world_scores_spare_the_adversary_a_world_scoring(world, adversary, detector, scenario):
    """Scores saved at training give the same report as scoring the World here; scores
    that do not fit this World (another length) are not trusted but recomputed."""
    from agents.procedural import DetectorAdversary

    saved = adversary.armed[0].sorted_scores
    calls = []
    score = detector.score_prepared
    detector.score_prepared = lambda wg: calls.append(1) or score(wg)
    try:
        quick = DetectorAdversary(
            world, {"gine": detector}, {"gine": "test"}, world_scores={"gine": saved[::-1]}
        )
        assert calls == []
        stale = DetectorAdversary(
            world, {"gine": detector}, {"gine": "test"}, world_scores={"gine": saved[:10]}
        )
        assert calls == [1]
    finally:
        del detector.score_prepared
    assert quick.evaluate_now(scenario) == adversary.evaluate_now(scenario) == stale.evaluate_now(scenario)


# ---------------------------------------------------------------- evolver


@pytest.mark.parametrize("op", sorted(OPERATORS))
def test_every_operator_makes_a_valid_child(world, op):
    rng = np.random.default_rng(0)
    made = 0
    for name in ("fan_out", "stack", "mule_network", "fan_in", "scatter_gather"):
        parent = sample_scenario(np.random.default_rng(3), name)
        doc = OPERATORS[op](copy.deepcopy(parent.model_dump(mode="json")), rng, OpContext(max_days=10))
        if doc is None:
            continue
        child = parse_scenario(doc)
        assert child.uid != parent.uid
        try:
            compile_scenario(child, world, 0)
        except ScenarioError:
            continue  # the evolver would try another operator
        made += 1
    assert made >= 3, f"{op} gave a valid child for fewer than 3 of 5 templates"


def test_crossover_grafts_the_second_parent(world):
    a = sample_scenario(np.random.default_rng(1), "stack")
    b = sample_scenario(np.random.default_rng(2), "fan_out")
    rng = np.random.default_rng(0)
    doc = next(
        d
        for d in (crossover(a.model_dump(mode="json"), b.model_dump(mode="json"), rng) for _ in range(20))
        if d is not None
    )
    child = parse_scenario(doc)
    assert [t.value for t in child.typology[:2]] == ["stack", "fan_out"]
    assert any(t.id.startswith("x_") for t in child.transfers)


def test_steering_follows_what_was_flagged(adversary, world):
    s = sample_scenario(np.random.default_rng(5), "fan_out")
    rep = adversary.evaluate_now(s)
    # pretend the detector flags every leg of the fan
    rep = rep.model_copy(
        update={
            "transfers": [
                t.model_copy(update={"flagged_rows": t.rows, "flagged_by": ["gine"]}) for t in rep.transfers
            ]
        }
    )
    weights, answers = steer(Candidate(scenario=s, report=rep), sorted(OPERATORS))
    assert max(weights, key=weights.get) == "reduce_fan_degree"
    assert any("sits in a fan" in a for a in answers["reduce_fan_degree"])


def test_evolver_children_are_valid_with_lineage(world, stats, adversary):
    critic = ChecksCritic(world, stats=stats)
    parents = []
    for name in ("fan_out", "cycle", "stack"):
        s = sample_scenario(np.random.default_rng(7), name)
        parents.append(Candidate(scenario=s, review=critic.review_now(s), report=adversary.evaluate_now(s)))
    kids = OperatorEvolver(world, seed=1).evolve_now(parents, 6, sample=0)
    assert len(kids) == 6 and len({k.scenario.uid for k in kids}) == 6
    uids = {p.scenario.uid for p in parents}
    for k in kids:
        assert set(k.scenario.lineage.parents) <= uids and k.scenario.lineage.generation == 1
        assert k.scenario.lineage.operator == k.operator
        compile_scenario(k.scenario, world, 0)
    assert OperatorEvolver(world, seed=1).evolve_now(parents, 6, 0) == kids  # reproducible


# ---------------------------------------------------------------- judge


def test_judge_gates_on_realism_then_prefers_evasion(world, stats, adversary):
    s = sample_scenario(np.random.default_rng(1), "fan_out")
    rev, rep = ChecksCritic(world, stats=stats).review_now(s), adversary.evaluate_now(s)
    real = Candidate(
        scenario=s,
        review=rev.model_copy(update={"realism": 0.9}),
        report=rep.model_copy(update={"evaded_value_share": 0.2, "case_evaded_share": 0.2}),
    )
    fake = Candidate(
        scenario=s,
        review=rev.model_copy(update={"realism": 0.3}),
        report=rep.model_copy(update={"evaded_value_share": 0.99, "case_evaded_share": 0.99}),
    )
    sly = Candidate(
        scenario=s,
        review=rev.model_copy(update={"realism": 0.9}),
        report=rep.model_copy(update={"evaded_value_share": 0.8, "case_evaded_share": 0.8}),
    )
    j = PrinciplesJudge()
    v = run(j.compare(fake, real))
    assert v.winner.value == "b" and v.rationale.startswith("realism_gate")
    v = run(j.compare(real, sly))
    assert v.winner.value == "b" and "evasion" in v.rationale
    assert run(j.compare(sly, sly)).winner.value == "tie"


# ---------------------------------------------------------------- the search works


def test_generations_raise_money_weighted_evasion_and_keep_funds_and_typologies(world, stats, adversary):
    second, third = second_world(world.config, 1), second_world(world.config, 2)
    history, _, pop = evolve_population(
        world, second, third, stats, adversary, generations=4, per_niche=1, children=3
    )
    print("value evasion by generation:", [round(h["value"], 3) for h in history])
    assert history[-1]["value"] > history[0]["value"] + 0.1
    assert history[-1]["families"] == 8  # niching keeps every seeded typology
    assert history[-1]["funds"] >= 0.8 * history[0]["funds"]  # not bought by laundering less
    evolved = [m.c for m in pop if m.c.scenario.lineage.generation >= 1]
    assert evolved and all(c.review.accepted for c in evolved)
