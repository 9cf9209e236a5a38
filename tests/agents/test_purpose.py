"""The laundering purpose and robustness gates, money-weighted evasion, and timing slack."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.models import Candidate
from agents.principles import load_principles, utility
from agents.procedural import ChecksCritic, OperatorEvolver
from graph_schema.compiler import compile_scenario, parse_scenario
from graph_schema.compiler.flows import integrated_funds, timing_bound_hours
from graph_schema.errors import ScenarioError
from graph_schema.typologies import library, sample_scenario
from graph_schema.world import second_world


def chain(keep: float, funds: float = 90_000.0, last_role: str = "beneficiary", name: str = "Chain") -> dict:
    """Originator -> two layers -> an end entity, each forwarding ``keep`` of what it received."""
    ents = [{"id": "boss", "kind": "person", "role": "originator", "initial_funds": True,
             "recruit": {"mode": "hijack", "profile": "self_employed"}}]
    ents += [{"id": f"l{i}", "kind": "person", "role": "layer",
              "recruit": {"mode": "hijack", "profile": "salaried"}} for i in (1, 2)]
    ents.append({"id": "end", "kind": "business", "role": last_role,
                 "recruit": {"mode": "hijack", "profile": "small_business"}})
    path = ["boss", "l1", "l2", "end"]
    transfers = [
        {
            "id": f"t{i}",
            "src": a,
            "dst": b,
            "channel": "ACH",
            "amount": {"kind": "fraction", "fraction": 1.0 if i == 0 else keep},
            "timing": {
                "after": [f"t{i - 1}"] if i else [],
                "delay": {"dist": "uniform", "low": 9, "high": 30},
            },
        }
        for i, (a, b) in enumerate(zip(path, path[1:], strict=False))
    ]
    return {
        "name": name,
        "typology": ["stack"],
        "funds_placed": funds,
        "horizon_days": 6,
        "entities": ents,
        "transfers": transfers,
    }


def gate(review, name: str):
    return next(g for g in review.gates if g.name == name)


def test_a_scenario_that_does_not_integrate_its_funds_is_rejected_with_the_reason(world, stats):
    critic = ChecksCritic(world, stats=stats)
    stuck = parse_scenario(chain(0.5))  # each layer keeps half: 25% arrives
    review = critic.review_now(stuck)
    g = gate(review, "laundering_purpose")
    assert not review.accepted and g.score == 0
    assert "only 25% of the placed funds" in g.reason and "at least 80%" in g.reason
    assert review.critiques[0].check == "laundering_purpose"  # the first objection the evolver reads
    # money that stops with intermediaries is not integrated, whatever its amount
    nowhere = parse_scenario(chain(0.98, last_role="layer"))
    assert "only 0%" in gate(critic.review_now(nowhere), "laundering_purpose").reason
    fine = critic.review_now(parse_scenario(chain(0.98)))
    assert gate(fine, "laundering_purpose").score == 1


def test_each_family_has_a_funds_floor(world, stats):
    critic = ChecksCritic(world, stats=stats)
    review = critic.review_now(parse_scenario(chain(0.98, funds=900.0)))
    g = gate(review, "laundering_purpose")
    assert not review.accepted and "floor of the 'chain' typology family is 5,000 USD" in g.reason
    floors = load_principles().critic.purpose.funds_floor
    assert floors["lone"] < floors["chain"]  # a lone payment keeps its single small payment


def test_the_robustness_gate_names_the_seed_that_breaks_a_scenario(world, stats):
    critic = ChecksCritic(world, stats=stats, second=second_world(world.config))
    found = None
    for k in range(60):  # a tight horizon that a long exponential delay sometimes overruns
        doc = chain(0.98, name=f"Tight chain {k}")
        doc["transfers"][2]["timing"]["delay"] = {"dist": "exponential", "low": 1.0, "high": 40.0}
        doc["horizon_days"] = 4.0
        s = parse_scenario(doc)
        try:
            compile_scenario(s, world, 0)
        except ScenarioError:
            continue
        try:
            for seed in (1, 2):
                compile_scenario(s, world, seed)
        except ScenarioError:
            found = s
            break
    assert found is not None
    review = critic.review_now(found)
    g = gate(review, "robustness")
    assert not review.accepted and g.score == 0
    assert g.reason.startswith("does not compile under compile seed") and "outside the horizon" in g.reason


def test_the_second_world_is_part_of_the_robustness_gate(world, stats):
    other = second_world(world.config)
    assert other.config.seed == world.config.seed + 1 and other.ledger.num_rows == 0
    critic = ChecksCritic(world, stats=stats, second=other)
    review = critic.review_now(parse_scenario(chain(0.98)))
    assert gate(review, "robustness").reason == "compiles under 4 settings"


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(sorted(library())), st.integers(0, 10_000))
def test_integrated_funds_never_exceed_what_was_placed(world, name, seed):
    s = sample_scenario(np.random.default_rng(seed), name)
    try:
        c = compile_scenario(s, world, 0)
    except ScenarioError:
        return
    got = integrated_funds(c)
    assert 0 <= got <= s.funds_placed * (1 + 1e-9)


def test_money_weighted_evasion_counts_value_and_cases(world, adversary):
    s = sample_scenario(np.random.default_rng(4), "fan_out")
    rep = adversary.evaluate_now(s)
    assert 0 <= rep.evaded_value_share <= 1 and rep.case_evaded_share in (0.0, 1.0)
    alerted = any(t.flagged_rows for t in rep.transfers)
    assert rep.case_evaded_share == (0.0 if alerted else 1.0)  # one alert opens the whole case
    assert rep.funds_integrated > 0 and rep.integration_share >= 0.8
    p = load_principles()
    c = Candidate(scenario=s, review=ChecksCritic(world).review_now(s), report=rep)
    money = 0.5 * (rep.evaded_value_share + rep.case_evaded_share)
    assert utility(c, p) == pytest.approx(
        p.judge.realism_weight * c.review.realism + p.judge.evasion_weight * money
    )


@pytest.mark.parametrize("name", ["cycle", "stack", "mule_network", "trade_based"])
def test_children_keep_their_delays_inside_the_horizon_with_slack(world, adversary, name):
    parent = sample_scenario(np.random.default_rng(11), name)
    c = Candidate(scenario=parent, report=adversary.evaluate_now(parent))
    evolver = OperatorEvolver(world, operators=["add_delay", "spread_over_time", "insert_hop"], seed=3)
    kids = evolver.evolve_now([c], 6, sample=0)
    assert kids
    misses = []
    for k in kids:
        assert timing_bound_hours(k.scenario) * 1.1 <= k.scenario.horizon_days * 24 + 1e-6
        for seed in range(5):  # and so they compile under other seeds too: the bound is a 98%
            try:              # quantile per chain, so one draw in 30 may still overrun
                compile_scenario(k.scenario, world, seed)
            except ScenarioError as err:
                assert "outside the horizon" in str(err), str(err)
                misses.append(str(err))
    assert len(misses) <= 1, misses


def test_with_the_critic_gate_off_nothing_is_rejected_but_the_objections_stay(world, stats):
    """The no-critic-gate ablation: realism and gates are still measured and argued."""
    stuck = parse_scenario(chain(0.5))
    review = ChecksCritic(world, stats=stats, gate=False).review_now(stuck)
    assert review.accepted and gate(review, "laundering_purpose").score == 0
    assert review.critiques[0].check == "laundering_purpose" and "gate off" in review.summary
    assert not ChecksCritic(world, stats=stats).review_now(stuck).accepted


def test_the_reference_ensemble_decides_whether_a_scenario_is_learnable(world, detector):
    """The contrastive filter's evidence: caught by the reference ensemble at its larger
    budget, or by nothing (noise); without reference detectors there is no evidence."""
    from agents.procedural import DetectorAdversary

    plain = DetectorAdversary(world, {"gine": detector})
    s = sample_scenario(np.random.default_rng(4), "fan_out")
    assert plain.evaluate_now(s).reference_caught is None
    ref = DetectorAdversary(world, {"gine": detector}, reference={"gine-ref": detector}, reference_budget=0.5)
    assert ref.evaluate_now(s).reference_caught is True  # half the World alerted: any scenario is caught
    # a near-zero budget alerts (almost) nothing of the World: the reference misses
    blind = DetectorAdversary(
        world, {"gine": detector}, reference={"gine-ref": detector}, reference_budget=1e-9
    )
    report = blind.evaluate_now(s)
    top = max(max(a.sorted_scores) for a in blind.armed)
    assert report.reference_caught is any(t.max_score >= top for t in report.transfers)
