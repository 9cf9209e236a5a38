"""The blending operators answer what the structural ones cannot: amounts sized like the
payer's own, payments on their channel's calendar, and a cash-intensive business as cover;
the critic's amount and timing objections steer to them."""

from __future__ import annotations

import copy

import numpy as np

from agents.models import Candidate, Critique, Review
from agents.procedural.blend_ops import align_calendar, business_cover, mimic_amounts, usual_channel
from agents.procedural.operators import OpContext
from agents.procedural.steering import steer
from graph_schema import compile_scenario, parse_scenario
from graph_schema.compiler.blend import PAYMENT_CHANNELS
from graph_schema.reference import usd_per_unit
from graph_schema.tables import CHANNELS, CURRENCIES, dictionary_codes
from graph_schema.typologies import sample_scenario


def _usd(c, transfer: int) -> np.ndarray:
    rows = [i for i, t in enumerate(c.transfer_index) if t == transfer]
    paid = c.rows.column("amount_paid").to_numpy()[rows]
    cur = [CURRENCIES.index(x) for x in np.asarray(c.rows.column("payment_currency").to_pylist())[rows]]
    return paid * usd_per_unit()[cur]


def test_mimic_amounts_sizes_a_transfer_like_its_payers_payments(world):
    parent = sample_scenario(np.random.default_rng(3), "fan_out")
    doc = parent.model_dump(mode="json")
    first = doc["transfers"][0]["id"]
    rng, ctx = np.random.default_rng(0), OpContext(flagged=[first])
    child = parse_scenario(mimic_amounts(copy.deepcopy(doc), rng, ctx))
    t = child.transfers[0]
    assert t.amount.kind == "mimic" and t.amount.parts >= 1
    before, after = compile_scenario(parent, world, 0), compile_scenario(child, world, 0)
    # far smaller payments, like a payer's own
    assert np.median(_usd(after, 0)) < np.median(_usd(before, 0)) / 3


def test_align_calendar_puts_flagged_transfers_on_the_calendar(world):
    parent = sample_scenario(np.random.default_rng(3), "stack")
    doc = parent.model_dump(mode="json")
    ids = [t["id"] for t in doc["transfers"][:2]]
    rng, ctx = np.random.default_rng(0), OpContext(flagged=ids)
    child = parse_scenario(align_calendar(copy.deepcopy(doc), rng, ctx))
    assert [t.timing.calendar for t in child.transfers[:2]] == [True, True]
    assert child.horizon_days > parent.horizon_days
    compile_scenario(child, world, 0)


def test_business_cover_routes_through_a_hijacked_merchant(world):
    parent = sample_scenario(np.random.default_rng(3), "mule_network")
    doc = parent.model_dump(mode="json")
    child = parse_scenario(business_cover(copy.deepcopy(doc), np.random.default_rng(1), OpContext()))
    cover = [e for e in child.entities if e.id.startswith("cover_")]
    assert len(cover) == 1 and cover[0].recruit.mode == "hijack"
    assert cover[0].recruit.profile.value == "merchant"
    into = [t for t in child.transfers if t.dst == cover[0].id]
    out = [t for t in child.transfers if t.src == cover[0].id]
    assert into and out and into[0].channel.value == "Cash" and out[0].amount.kind == "mimic"
    c = compile_scenario(child, world, 0)
    assert c.rows.num_rows > compile_scenario(parent, world, 0).rows.num_rows


def test_usual_channel_pays_flagged_transfers_on_their_payers_own_channels(world):
    """A stack's layers between recruited accounts are paid, once the operator has run, only
    on channels their payers' own payments use."""
    doc = sample_scenario(np.random.default_rng(3), "stack").model_dump(mode="json")
    for e in doc["entities"]:
        profile = "salaried" if e["kind"] == "person" else "small_business"
        e["recruit"] = {"mode": "hijack", "profile": profile}
    ids = [t["id"] for t in doc["transfers"] if t["src"] != t["dst"]][:3]
    rng, ctx = np.random.default_rng(0), OpContext(flagged=ids)
    child = parse_scenario(usual_channel(copy.deepcopy(doc), rng, ctx))
    assert [t.id for t in child.transfers if t.usual_channel] == ids
    c = compile_scenario(child, world, 0)
    channels = dictionary_codes(c.rows.column("channel"), CHANNELS)
    for i, t in enumerate(child.transfers):
        if t.usual_channel:
            acc = c.entity_accounts[t.src]
            own = world.history.channel_counts(acc)
            if not own[PAYMENT_CHANNELS].sum():  # one without such payments pays as its profile does
                own = world.history.profile_channel_counts(int(world.profile_codes[acc]))
            if not own[PAYMENT_CHANNELS].sum():  # a profile that pays on none keeps the written one
                own = np.eye(len(CHANNELS))[CHANNELS.index(t.channel.value)]
            assert all(own[ch] > 0 for ch in channels[c.transfer_index == i]), (t.id, own)
    drawn = channels[np.isin(c.transfer_index, [i for i, t in enumerate(child.transfers) if t.usual_channel])]
    assert set(drawn) - {CHANNELS.index("ACH")}  # the written ACH is not what the payers use most
    critique = Critique(check="realism_discriminator", severity=1.0, text="Wire share", features=["ch_Wire"])
    review = Review(scenario_id=child.uid, checks=[], realism=0.4, accepted=True, critiques=[critique])
    w, _ = steer(Candidate(scenario=child, review=review), ["usual_channel", "insert_hop"])
    assert w["usual_channel"] > w["insert_hop"]  # the discriminator's channel feature asks for it


def test_amount_and_timing_objections_steer_to_the_operators_that_answer_them():
    s = sample_scenario(np.random.default_rng(3), "fan_out")
    ops = ["mimic_amounts", "align_calendar", "business_cover", "add_delay", "insert_hop"]
    amounts = Critique(check="amount_plausibility", severity=1.0, text="amounts far above the payer's")
    hours = Critique(check="timing_plausibility", severity=1.0, text="payments at 3 am")
    review = Review(scenario_id=s.uid, checks=[], realism=0.4, accepted=True, critiques=[amounts, hours])
    w, answers = steer(Candidate(scenario=s, review=review), ops)
    assert w["mimic_amounts"] > w["insert_hop"] and w["align_calendar"] > w["insert_hop"]
    assert amounts.key in answers["mimic_amounts"] and hours.key in answers["align_calendar"]


def test_blended_drafts_recruit_their_accounts_and_keep_to_the_calendar(world, stats):
    """`blend_in`: the planner's drafts hold the same funds, reach their beneficiaries,
    put every payment that moves the funds on the calendar, and recruit their customer accounts
    from the World instead of opening accounts with no history."""
    from agents.procedural import ChecksCritic, TemplatePlanner
    from graph_schema.enums import Typology
    from tests.agents.conftest import paired_drafts

    fitted = TemplatePlanner(world, seed=0, fit_capacity=True)
    blended = TemplatePlanner(world, seed=0, blend_in=True)
    critic = ChecksCritic(world, stats=stats)
    opened_before = opened_after = 0
    typologies = (Typology.FAN_OUT, Typology.FAN_IN, Typology.MULE_NETWORK, Typology.CYCLE)
    for a, b in paired_drafts(fitted, blended, typologies):
        assert b.lineage.operator.endswith("+capacity+blend")
        assert all(x.timing.calendar for x in b.transfers if x.purpose.value != "camouflage")
        kinds = {e.id: e.kind.value for e in b.entities}
        customer = {"person", "business", "shell_company"}
        assert all(x.usual_channel or x.ride for x in b.transfers if x.src != x.dst
                   and {kinds[x.src], kinds[x.dst]} <= customer and x.purpose.value != "camouflage")
        ca, cb = compile_scenario(a, world, 0), compile_scenario(b, world, 0)
        opened_before += ca.new_accounts.num_rows
        opened_after += cb.new_accounts.num_rows
        purpose = critic.purpose_gate(cb)
        assert purpose.score == 1.0, purpose.reason  # the placed funds still arrive
    assert opened_before >= 8 and opened_after <= opened_before // 4


def test_a_blended_draft_recruits_alike_profiles_then_opens_where_the_world_has_too_few():
    """Recruiting from a profile stops at half of its accounts in the jurisdiction; the draft's
    next entities are recruited from the profiles alike that still have room (a person as a
    retiree, then as self-employed, ...), and only when none has are they opened, so a small
    World still compiles the draft."""
    from agents.procedural.blend_ops import blend_draft

    doc = {"horizon_days": 5.0, "transfers": [], "entities": [
        {"id": f"m{i}", "kind": "person", "role": "mule", "jurisdiction": "US"} for i in range(9)]}
    rooms = {"salaried": 6, "retiree": 4, "self_employed": 1, "student": 2}
    out = blend_draft(copy.deepcopy(doc), OpContext(max_days=10), room=lambda profile, jur: rooms[profile])
    got = [(e.get("recruit") or {}).get("mode", "new") + ":" + (e.get("recruit") or {}).get("profile", "")
           for e in out["entities"]]
    assert got == ["hijack:salaried"] * 3 + ["hijack:retiree"] * 2 + ["hijack:student"] + ["new:"] * 3
    free = blend_draft(copy.deepcopy(doc), OpContext(max_days=10))
    assert all(e["recruit"] == {"mode": "hijack", "profile": "salaried"} for e in free["entities"])


def test_a_blending_evolver_keeps_every_child_recruited_and_on_the_calendar(world, scenario):
    """With `blend_in` the evolver's children, whatever operator made them (a new hop, a
    front business), open no account for a person or business and pay on the calendar."""
    from agents.models import Candidate, Review
    from agents.procedural import OperatorEvolver

    parent = Candidate(scenario=scenario, review=Review(scenario_id=scenario.uid, checks=[], realism=1.0,
                                                        accepted=True))
    kids = OperatorEvolver(world, seed=0, blend_in=True).evolve_now([parent], 12)
    plain = OperatorEvolver(world, seed=0).evolve_now([parent], 12)
    assert len(kids) >= 8

    def opened(s):
        return [e.id for e in s.entities if e.kind.value in ("person", "business", "shell_company")
                and e.recruit.mode == "new"]

    assert any(opened(k.scenario) for k in plain)  # the operators do open accounts ...
    for k in kids:  # ... but not in a blended child
        assert not opened(k.scenario), k.scenario.lineage.operator
        assert all(t.timing.calendar for t in k.scenario.transfers if t.purpose.value != "camouflage")
        compile_scenario(k.scenario, world, 0)


def test_blended_chains_and_cycles_still_have_children(world):
    """A blended draft whose chain is long (a stack, a cycle, shell layering) still gets its
    children: the evolver fits their timing around the calendar's stretch, which no scaling
    of waits shortens, and leaves out the operators that blending undoes."""
    import asyncio

    from agents.models import Brief, Candidate, Review
    from agents.procedural import OperatorEvolver, TemplatePlanner
    from agents.procedural.blend_ops import BLEND_UNDOES
    from graph_schema.enums import Typology

    planner = TemplatePlanner(world, seed=0, blend_in=True)
    evolver = OperatorEvolver(world, seed=0, blend_in=True)
    for t in (Typology.STACK, Typology.CYCLE, Typology.SHELL_LAYERING):
        s = asyncio.run(planner.plan(Brief(typology=t, complexity=2), 0))
        review = Review(scenario_id=s.uid, checks=[], realism=1.0, accepted=True)
        kids = evolver.evolve_now([Candidate(scenario=s, review=review)], 8)
        assert len(kids) >= 6, t
        assert not any(op in k.operator for k in kids for op in BLEND_UNDOES)
        assert all(k.scenario.horizon_days <= world.config.days for k in kids)


def test_a_recruited_copy_beyond_the_worlds_room_is_opened_instead():
    """Entities already recruited (copies of a shared account inherit it) count against the
    World's room like the rest: past half of the accounts of their profile and of every
    profile alike they are opened, keeping their profile."""
    from agents.procedural.blend_ops import blend_draft

    doc = {"horizon_days": 5.0, "transfers": [], "entities": [
        {"id": f"m{i}", "kind": "business", "role": "front", "jurisdiction": "KY",
         "recruit": {"mode": "hijack", "profile": "merchant"}} for i in range(6)]}
    rooms = {"merchant": 4, "small_business": 2}
    out = blend_draft(copy.deepcopy(doc), OpContext(max_days=10),
                      room=lambda p, jur: rooms.get(p, 0) if jur == "KY" else 0)
    assert [e["recruit"]["mode"] for e in out["entities"]] == ["hijack"] * 3 + ["new"] * 3
    assert [e["recruit"]["profile"] for e in out["entities"]] == ["merchant"] * 2 + ["small_business"] + [
        "merchant"] * 3


def test_offshore_copies_beyond_their_centres_room_are_recruited_in_other_centres_of_its_currency():
    """A shell layering's copies in Cayman, once Cayman's room is taken, are moved to the other
    offshore centres that pay in US dollars (Panama, Dubai) and recruited there before any is
    opened: an opened account has no history and is told from its peers at once. A Cyprus
    shell (euro) never moves to a dollar centre, and an onshore entity never leaves its
    jurisdiction."""
    from agents.procedural.blend_ops import blend_draft
    from graph_schema.reference import jurisdictions

    offshore = {j.code: j.currency for j in jurisdictions() if j.offshore}
    doc = {"horizon_days": 5.0, "transfers": [], "entities": [
        {"id": f"{jur}{i}", "kind": "shell_company", "role": "shell", "jurisdiction": jur}
        for jur in ("KY", "CY", "US") for i in range(6)]}
    out = blend_draft(copy.deepcopy(doc), OpContext(max_days=10),
                      room=lambda p, jur: 4 if p == "small_business" else 0)
    ky = [(e["jurisdiction"], e["recruit"]["mode"]) for e in out["entities"] if e["id"].startswith("KY")]
    assert ky[:2] == [("KY", "hijack")] * 2
    assert all(mode == "hijack" and offshore.get(jur) == "US Dollar" for jur, mode in ky)
    assert len({jur for jur, _ in ky}) == 3
    assert all(e["jurisdiction"] == e["id"][:2] for e in out["entities"] if not e["id"].startswith("KY"))
    for jur in ("CY", "US"):
        modes = [(e.get("recruit") or {}).get("mode", "new") for e in out["entities"]
                 if e["id"].startswith(jur)]
        assert modes == ["hijack"] * 2 + ["new"] * 4
    assert offshore["KY"] == offshore["PA"] == "US Dollar" != offshore["CY"]


def test_ride_flows_moves_the_money_inside_the_payers_own_payments(world):
    from agents.procedural.blend_ops import RIDE_REPEATS, ride_flows
    from tests.graph_schema.test_rides import ride_doc

    doc = ride_doc()
    doc["transfers"][1].update(ride=False, channel="Wire", amount={"kind": "fixed", "value": 15_000})
    doc["entities"].append({"id": "exit", "kind": "person", "role": "beneficiary"})
    doc["transfers"].append({"id": "out", "src": "supp", "dst": "exit", "timing": {"after": ["pass"]},
                             "amount": {"kind": "fixed", "value": 9_000}})
    doc["entities"][2]["role"] = "layer"
    child = ride_flows(copy.deepcopy(doc), np.random.default_rng(0), OpContext(flagged=["pass"]))
    t = next(t for t in child["transfers"] if t["id"] == "pass")
    assert t["ride"] and t["channel"] == "ACH" and t["timing"]["repeats"] == RIDE_REPEATS
    # the payee forwards a share of what the rides brought, not a set amount it may never get
    assert next(t for t in child["transfers"] if t["id"] == "out")["amount"]["kind"] == "fraction"
    compiled = [c for c in (compile_scenario(parse_scenario(child), world, s) for s in range(10)) if c.rides]
    assert compiled, "no compile seed let the child ride"
    c = compiled[0]
    assert (c.ridden >= 0).sum() >= 1 and c.rows.num_rows - (c.ridden >= 0).sum() >= 2
    again = ride_flows(copy.deepcopy(child), np.random.default_rng(0), OpContext())  # the onward payment
    assert next(t for t in again["transfers"] if t["id"] == "out")["ride"]
    assert next(e for e in again["entities"] if e["id"] == "exit")["recruit"]["mode"] == "hijack"
    assert ride_flows(copy.deepcopy(again), np.random.default_rng(0), OpContext()) is None  # nothing left


def test_commingled_drafts_ride_their_payers_payments(world):
    """`commingle`: a blended draft's customer-to-customer transfers ride, and where the World
    lets them, their rows are the payers' own background payments."""
    import asyncio

    from agents.models import Brief
    from agents.procedural import TemplatePlanner
    from graph_schema.enums import Typology

    planner = TemplatePlanner(world, seed=0, blend_in=True, commingle=True)
    riding = 0
    for t in (Typology.STACK, Typology.MULE_NETWORK, Typology.SCATTER_GATHER):
        s = asyncio.run(planner.plan(Brief(typology=t, complexity=2), 0))
        assert s.lineage.operator.endswith("+blend+ride") and any(x.ride for x in s.transfers)
        c = compile_scenario(s, world, 0)
        riding += int((c.ridden >= 0).sum())
    assert riding >= 1


def test_a_heavy_account_is_recruited_among_peers_that_turn_over_as_much():
    """An entity that moves more than its own profile's peers turn over is recruited from a
    profile alike whose peers turn over enough (a shell moving a million among large businesses,
    not small ones); a light one keeps its own profile."""
    from agents.procedural.blend_ops import blend_draft
    from agents.procedural.load_ops import capacity, throughput

    doc = sample_scenario(np.random.default_rng(3), "shell_layering").model_dump(mode="json")
    profiles = {}
    for funds in (1e4, 1e6):
        d = copy.deepcopy(doc)
        d["funds_placed"] = funds
        load = throughput(d)
        out = blend_draft(d, OpContext(max_days=30), room=lambda p, jur: 1000)
        profiles[funds] = {e["id"]: (e["recruit"]["profile"], load[e["id"]]) for e in out["entities"]
                           if e["kind"] == "shell_company"}
    small = capacity({"kind": "shell_company"})
    assert all(p == "small_business" for p, _ in profiles[1e4].values())
    heavy = [p for p, load in profiles[1e6].values() if load > small]
    assert heavy and all(p == "large_business" for p in heavy)


def test_blend_draft_rounds_every_payment_like_its_payer(world):
    """Every payment of a blended draft, but a ride or one in Bitcoin, is rounded like its
    payer's own (`round_like_payer`), and the draft still compiles."""
    from agents.procedural.blend_ops import blend_draft

    doc = sample_scenario(np.random.default_rng(5), "scatter_gather").model_dump(mode="json")
    out = parse_scenario(blend_draft(copy.deepcopy(doc), OpContext(max_days=30), room=lambda p, jur: 1000))
    fiat = [t for t in out.transfers if t.channel.value != "Bitcoin" and not t.ride]
    assert fiat and all(t.round_like_payer for t in fiat)
    assert not any(t.round_like_payer for t in parse_scenario(doc).transfers)
    compile_scenario(out, world, 0)


def test_blend_draft_keeps_its_own_timing_where_the_calendar_cannot_fit():
    """A window shorter than the calendar's longest quiet stretch plus a day (a long weekend
    and a day to run in) cannot hold a chain on the calendar: the draft is then blended
    without it, and still fits the window, instead of every draft failing."""
    from agents.procedural.blend_ops import blend_draft
    from agents.procedural.evolver import fit_timing

    doc = sample_scenario(np.random.default_rng(5), "stack").model_dump(mode="json")
    room = lambda p, jur: 1000  # noqa: E731
    on = [blend_draft(copy.deepcopy(doc), OpContext(max_days=d), room=room) for d in (10.0, 3.7)]
    assert all(t["timing"].get("calendar") for t in on[0]["transfers"] if t.get("purpose") != "camouflage")
    assert not any(t.get("timing", {}).get("calendar") for t in on[1]["transfers"])
    assert fit_timing(parse_scenario(on[1]), 3.7, 0.1) is not None
    assert all(t.get("round_like_payer") for t in on[1]["transfers"] if t.get("channel") != "Bitcoin")
