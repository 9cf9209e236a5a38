"""The realism discriminator inside the loop: it tells fixed templates from their peers,
its objection names the features that give a scenario away, those features steer the
evolver, and its score is a term of the judge's utility."""

from __future__ import annotations

import re

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from agents.models import Candidate, CheckResult, Critique, EvasionReport, Review
from agents.principles import evasion_of, load_principles, utility
from agents.procedural import ChecksCritic
from agents.procedural.giveaway import NAME
from agents.procedural.steering import steer
from detectors.discriminator import RealismDiscriminator
from detectors.units import matched_units, unit_features
from graph_schema.baseline import sample_baseline
from graph_schema.compiler import compile_scenario


@pytest.fixture(scope="module")
def templates(world):
    return sample_baseline(world, 10**9, 11, limit=60)


@pytest.fixture(scope="module")
def discriminator(world, templates):
    return RealismDiscriminator(world, seed=0).fit(templates[:40])


def test_it_tells_held_out_templates_from_their_matched_peers(world, templates, discriminator):
    held = templates[40:]
    units, scen = matched_units(world, discriminator.base, held, 3, np.random.default_rng(5))
    x = unit_features(discriminator.base, units, scen, discriminator.span)
    p = discriminator.predict(x[discriminator.columns].to_numpy(float), x["account"].to_numpy())
    # amounts drawn with no link to the accounts' behaviour give fixed templates away
    assert roc_auc_score(x["label"], p) > 0.8
    assert np.mean([discriminator.judge(c).p for c in held]) > 0.5


def test_every_scenario_account_gets_controls_of_its_profile_even_when_they_are_scarce(world, templates,
                                                                                      discriminator):
    # 60 templates x 3 placements: more scenario accounts than a small World has clean peers for
    many = templates * 3
    units, _ = matched_units(world, discriminator.base, many, 3, np.random.default_rng(1))
    pos, neg = units[units["label"] == 1], units[units["label"] == 0]
    assert len(pos) * 3 > len(neg)  # the draws had to repeat accounts
    profiles = world.accounts.column("profile").to_pylist()
    n = world.n_accounts
    with_peers = pos["profile"].isin(set(neg["profile"]))
    assert with_peers.mean() > 0.95 and (pos.loc[with_peers, "controls"] == 3).all()
    # each control is one row, in the group of the scenario account that drew it first, of its profile
    assert neg["account"].is_unique
    assert (neg["group"].to_numpy() == pos.loc[neg["control_of"], "group"].to_numpy()).all()
    assert all(profiles[a] == p for a, p in zip(neg["account"], neg["profile"], strict=True))
    tainted = {a for c in many for a in c.entity_accounts.values()}
    assert not tainted & set(neg["account"]) and (neg["account"] < n).all()


def test_the_critics_objection_names_the_features_that_give_a_scenario_away(world, stats, templates,
                                                                             discriminator):
    critic = ChecksCritic(world, stats=stats, discriminator=discriminator)
    plain = ChecksCritic(world, stats=stats)
    told = max(templates[40:], key=lambda c: discriminator.judge(c).p)
    review = critic.review_now(told.scenario)
    check = next(c for c in review.checks if c.name == NAME)
    assert check.score < 0.5 and check.features
    assert check.features[0] in check.reason and "gives them away" in check.reason
    objection = next(c for c in review.critiques if c.check == NAME)
    assert objection.features == check.features
    # without a fitted discriminator the check is not run, and it costs the scenario realism here
    without = plain.review_now(told.scenario)
    assert NAME not in [c.name for c in without.checks] and review.realism < without.realism


def test_the_named_features_steer_to_the_operators_that_move_them(templates):
    s = templates[0].scenario
    ops = ["mimic_amounts", "align_calendar", "insert_hop", "change_channel"]
    cr = Critique(check=NAME, severity=0.9, text="told apart", features=["hour_sin", "mean_log_usd"])
    w, answers = steer(Candidate(scenario=s, review=Review(scenario_id=s.uid, checks=[], realism=0.5,
                                                           accepted=True, critiques=[cr])), ops)
    assert w["align_calendar"] > w["mimic_amounts"] > w["insert_hop"] == w["change_channel"]
    assert f"{NAME}: hour_sin" in answers["align_calendar"]
    # a short active span (a newly opened account) goes to recruiting an existing account
    cr = Critique(check=NAME, severity=0.9, text="told apart", features=["span"])
    ops = ["recruit_hijacked", "insert_hop"]
    w, answers = steer(Candidate(scenario=s, review=Review(scenario_id=s.uid, checks=[], realism=0.5,
                                                           accepted=True, critiques=[cr])), ops)
    assert w["recruit_hijacked"] > w["insert_hop"] and f"{NAME}: span" in answers["recruit_hijacked"]


def test_it_is_part_of_the_adversary_and_can_weigh_on_its_own(templates):
    """Shipped: evasion 'ensemble', money evades only as far as the accounts pass for their
    peers; a principles file may also weigh the score on its own (``discriminator_weight``)."""
    s = templates[0].scenario
    p = load_principles()
    assert p.judge.evasion_measure == "ensemble" and p.judge.discriminator_weight == 0
    rep = EvasionReport(scenario_id=s.uid, budget=0.005, detectors=[], transfers=[], evaded_share=0.5,
                        evasion=0.5, evaded_value_share=0.6, case_evaded_share=0.2, funds_integrated=1e5,
                        integration_share=0.9)

    def cand(score: float | None) -> Candidate:
        checks = [] if score is None else [CheckResult(name=NAME, score=score, reason="r")]
        return Candidate(scenario=s, review=Review(scenario_id=s.uid, checks=checks, realism=0.8,
                                                    accepted=True), report=rep)

    money = 0.5 * (0.6 + 0.2)
    assert evasion_of(rep, "ensemble", cand(0.25).review) == pytest.approx(money * 0.25)
    assert evasion_of(rep, "ensemble", cand(None).review) == pytest.approx(money)  # no check: passes
    gap = utility(cand(1.0), p) - utility(cand(0.0), p)
    assert gap == pytest.approx(p.judge.evasion_weight * money)
    weighted = p.model_copy(update={"judge": p.judge.model_copy(
        update={"evasion_measure": "money", "discriminator_weight": 0.3})})
    assert utility(cand(1.0), weighted) - utility(cand(0.0), weighted) == pytest.approx(0.3)


def test_a_saved_discriminator_loads_with_the_same_judgement(tmp_path, world, templates, discriminator):
    path = discriminator.save(tmp_path / "r0001.json", {"round": 1})
    again = RealismDiscriminator.load(path, world)
    assert again.fitted_after == 1  # the round it was fitted after: the realism gate's clock
    for c in templates[40:45]:
        assert again.judge(c) == discriminator.judge(c)


def test_an_account_is_judged_by_a_model_that_never_saw_it(world, templates, discriminator):
    """Cross-fitted: the scenarios it was fitted on are judged no more harshly than scenarios it
    never saw, where the one model fitted on everything finds its own training accounts again
    (a child reusing its parent's accounts would pay for their history, not its behaviour)."""
    import copy

    import lightgbm as lgb

    d = discriminator
    rng = np.random.default_rng(d.seed)
    units, scen = matched_units(world, d.base, templates[:40], d.k, rng, distinct=True)
    x = unit_features(d.base, units, scen, d.span)
    y = x["label"].to_numpy(int)
    params = {**d.PARAMS, "seed": d.seed, "scale_pos_weight": float((y == 0).sum() / y.sum())}
    whole = copy.copy(d)
    whole.folds = []  # as a model saved before cross-fitting: one booster fitted on everything, p only
    whole.booster = lgb.train(params, lgb.Dataset(x[d.columns].to_numpy(float), y), num_boost_round=d.trees)
    seen, unseen = templates[:40], templates[40:]
    in_sample = np.mean([whole.judge(c).p for c in seen])
    assert in_sample > np.mean([whole.judge(c).p for c in unseen]) + 0.05
    assert np.mean([discriminator.judge(c).p for c in seen]) < in_sample - 0.1
    assert whole.judge(seen[0]).rank is None and discriminator.judge(seen[0]).rank is not None


def test_a_scenario_below_even_odds_still_pays_for_ranking_above_its_peers(templates, discriminator):
    """The score is the accounts' rank among matched peers of their profile, not the probability:
    a scenario the discriminator gives p below 0.5 (which used to score a full 1) still loses
    realism when its accounts rank above most of their peers."""
    below = [g for g in (discriminator.judge(c) for c in templates[40:]) if g.p < 0.5]
    g = max(below, key=lambda g: g.rank)
    assert g.rank > 0.55 and g.score == pytest.approx(2 * (1 - g.rank)) and g.score < 0.9


def test_fitting_needs_two_scenarios(world, templates):
    with pytest.raises(ValueError, match="at least 2 scenarios"):
        RealismDiscriminator(world).fit(templates[:1])


def test_the_realism_gate_rejects_what_the_discriminator_tells_apart_whatever_else_it_scores(
        world, stats, templates, discriminator):
    """Realism as a constraint: a scenario the discriminator gives away (its accounts' mean rank
    among their peers above the bar) is rejected even when its weighted realism passes, and
    the objection names the giveaways."""
    from agents.principles import DiscriminatorGate

    # judged as the critic compiles it (its own seed), which is what the gate sees
    as_critic = [compile_scenario(c.scenario, world, 0) for c in templates[40:]]
    told = max((c for c in as_critic if discriminator.judge(c).rank < 0.98),
               key=lambda c: discriminator.judge(c).rank)
    p_told = discriminator.judge(told).rank
    base = load_principles()
    lenient = base.model_copy(update={"critic": base.critic.model_copy(update={"accept_threshold": 0.0})})
    gated = lenient.model_copy(update={"critic": lenient.critic.model_copy(update={
        "discriminator_gate": DiscriminatorGate(max_p=0.6)})})

    def review_under(principles):
        critic = ChecksCritic(world, principles, stats=stats, discriminator=discriminator)
        return critic.review_now(told.scenario)

    open_review, review = review_under(lenient), review_under(gated)
    assert p_told > 0.6 and open_review.accepted and not review.accepted
    gate = next(g for g in review.gates if g.name == "realism_gate")
    said = re.match(r"rank (\d\.\d\d) is above the realism gate's bar of 0\.60: ", gate.reason)
    assert gate.score == 0 and said and float(said[1]) == pytest.approx(p_told, abs=0.006)
    assert review.critiques[0].check == "realism_gate" and review.critiques[0].features
    assert review.critiques[0].features[0] in gate.reason
    # a bar above the scenario's rank lets it through
    loose = lenient.model_copy(update={"critic": lenient.critic.model_copy(update={
        "discriminator_gate": DiscriminatorGate(max_p=min(1.0, p_told + 0.01))})})
    assert review_under(loose).accepted


def test_the_realism_gate_tightens_over_the_rounds_from_its_start():
    from agents.principles import DiscriminatorGate

    g = DiscriminatorGate(max_p=0.6, start_p=0.9, rounds=10)
    bars = [g.bar(r) for r in (None, -1, 0, 4, 8, 9, 30)]
    assert bars[0] == bars[1] == pytest.approx(0.9)  # before round 0
    assert bars[2] == pytest.approx(0.87) and bars[3] == pytest.approx(0.75)
    assert bars[5] == bars[6] == pytest.approx(0.6) and bars[4] > bars[5]
    assert DiscriminatorGate(max_p=0.7).bar(None) == pytest.approx(0.7)
    assert not DiscriminatorGate().enabled  # shipped off
    assert load_principles().critic.discriminator_gate == DiscriminatorGate()
    with pytest.raises(ValueError, match="max_p"):
        DiscriminatorGate(max_p=0.4)
