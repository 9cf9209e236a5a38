"""Laundering that blends in: `mimic` amounts follow the paying account's own payments,
`calendar` timing follows the World's calendar, new accounts are opened as a real profile,
and camouflage rows are labelled 0."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from scipy.stats import ks_2samp

from graph_schema import ScenarioError, compile_scenario
from graph_schema.reference import usd_per_unit
from graph_schema.tables import CHANNELS, CURRENCIES, PROFILES, dictionary_codes
from tests.conftest import fan_doc

ALL = {"kind": "fraction", "fraction": 1}


def _one_payer(amount: dict, channel: str = "Credit Card", payer: dict | None = None, repeats: int = 1,
               timing: dict | None = None) -> dict:
    return {
        "name": "blend", "typology": ["random"], "funds_placed": 10_000_000, "horizon_days": 9,
        "entities": [
            {"id": "payer", "kind": "person", "role": "originator", "initial_funds": True,
             "recruit": payer or {"mode": "new", "profile": "salaried"}},
            {"id": "shop", "kind": "business", "role": "collector"},
        ],
        "transfers": [{"id": "t", "src": "payer", "dst": "shop", "channel": channel, "amount": amount,
                       "timing": {"repeats": repeats, **(timing or {}),
                                  "every": {"dist": "uniform", "low": 0.5, "high": 1.0}}}],
    }


def _usd(c) -> np.ndarray:
    codes = [CURRENCIES.index(x) for x in c.rows.column("payment_currency").to_pylist()]
    return c.rows.column("amount_paid").to_numpy() * usd_per_unit()[codes]


def _profile_card_payments(world, profile: str) -> np.ndarray:
    h = world.history
    mine = world.profile_codes[h.src] == PROFILES.index(profile)
    return h.usd[mine & (h.channel == CHANNELS.index("Credit Card"))]


def test_mimic_amounts_follow_the_payers_profile_and_a_log_uniform_range_does_not(small_world):
    usual = _profile_card_payments(small_world, "salaried")
    mimic = compile_scenario(_one_payer({"kind": "mimic", "parts": 80, "total": ALL}), small_world, seed=3)
    ranged = compile_scenario(_one_payer({"kind": "range", "low": 10_000, "high": 100_000}, repeats=80),
                              small_world, seed=3)
    assert mimic.rows.num_rows == ranged.rows.num_rows == 80 and len(usual) > 500
    assert ks_2samp(_usd(mimic), usual).pvalue > 0.05  # the same distribution
    assert ks_2samp(_usd(ranged), usual).pvalue < 1e-6  # what the templates did: far above the payer's norm


def test_mimic_amounts_are_round_about_as_often_as_the_payers_peers(small_world):
    """A payer whose kind of payment is usually a round sum pays round sums too (share of
    multiples of 100 in the compiled amounts against the profile's ACH payments)."""
    h = small_world.history
    ach = h.channel == CHANNELS.index("ACH")
    mine = (small_world.profile_codes[h.src] == PROFILES.index("salaried")) & ach
    peers = np.mean(np.round(h.usd[mine] * 100).astype(np.int64) % 10_000 == 0)
    c = compile_scenario(_one_payer({"kind": "mimic", "parts": 100, "total": ALL}, channel="ACH"),
                         small_world, seed=5)
    got = np.mean(np.round(c.rows.column("amount_paid").to_numpy() * 100).astype(np.int64) % 10_000 == 0)
    assert peers > 0.03 and abs(got - peers) < 0.05, (got, peers)


def test_mimic_amounts_of_a_hijacked_account_come_from_its_own_history(small_world):
    c = compile_scenario(_one_payer({"kind": "mimic", "parts": 30, "total": ALL},
                                    channel="ACH", payer={"mode": "hijack", "profile": "small_business"}),
                         small_world, seed=1)
    own = small_world.history.of_account(c.entity_accounts["payer"], CHANNELS.index("ACH"))
    assert len(own) >= 3
    got = _usd(c)
    # jittered by up to 3%; some, as in the World, rounded to a human unit of their scale
    unit = 10.0 ** np.maximum(np.floor(np.log10(got)) - 1, 0)
    rounded = np.isclose(np.mod(got, unit), 0)
    assert got[~rounded].min() >= own.min() * 0.96 and got[~rounded].max() <= own.max() * 1.04
    assert np.all(got[rounded] >= own.min() * 0.5) and np.all(got[rounded] <= own.max() * 1.5)


def test_mimic_parts_stay_under_their_total(small_world):
    doc = _one_payer({"kind": "mimic", "parts": 50, "total": {"kind": "fixed", "value": 300}})
    c = compile_scenario(doc, small_world, seed=2)
    assert c.base_amounts.sum() <= 300 + 1e-6 and c.rows.num_rows == 50


class _Rows:
    def __init__(self, rows):
        self.rows = rows


def _wires(world) -> _Rows:
    """The World's own wire payments, shaped like a compiled scenario."""
    led = world.ledger
    return _Rows(led.filter(pc.equal(pc.cast(led.column("channel"), pa.string()), "Wire")))


def _business_hours_share(c, world, on_holidays: bool = False) -> float:
    """Share of the rows on weekdays 8:00-18:00 (or, ``on_holidays``, on public holidays)."""
    ts = c.rows.column("timestamp").to_numpy().view(np.int64)
    when = [dt.datetime.fromtimestamp(int(t), dt.UTC) for t in ts]
    day = ((ts - world.start_epoch) // 86_400).astype(int)
    ok = [w.weekday() < 5 and 8 <= w.hour < 18 for w in when]
    return float(np.mean(ok)) if not on_holidays else float(np.mean(world.calendar.holiday[day]))


def test_calendar_timing_follows_the_calendar_of_its_channel(small_world):
    delay = {"delay": {"dist": "uniform", "low": 0, "high": 24}}
    wire = {"kind": "fixed", "value": 100}
    snapped = [compile_scenario(_one_payer(wire, "Wire", repeats=8, timing={**delay, "calendar": True}),
                                small_world, seed=s) for s in range(10)]
    plain = [compile_scenario(_one_payer(wire, "Wire", repeats=8, timing=delay), small_world, seed=s)
             for s in range(10)]
    on = np.mean([_business_hours_share(c, small_world) for c in snapped])
    off = np.mean([_business_hours_share(c, small_world) for c in plain])
    legit = _business_hours_share(_wires(small_world), small_world)
    # at least as much in business hours as the World's own wires (bursts of repeats share a stretch)
    assert legit > 0.8 and on >= legit - 0.05 and off <= 0.6, (on, legit, off)
    assert np.mean([_business_hours_share(c, small_world, on_holidays=True) for c in snapped]) < 0.03
    for c in snapped:  # snapping only ever delays, and the order of the money stays causal
        assert (np.diff(c.rows.column("timestamp").to_numpy().view(np.int64)) >= 60).all()


def _start_and_end_days(doc: dict, world, seeds: range) -> np.ndarray:
    out = []
    for seed in seeds:
        ts = compile_scenario(doc, world, seed=seed).rows.column("timestamp").to_numpy().view(np.int64)
        out.append(((ts.min() - world.start_epoch) / 86_400, (ts.max() - world.start_epoch) / 86_400))
    return np.array(out)


def test_calendar_timing_is_placed_over_the_whole_period_as_plain_timing_is(small_world):
    """A multi-day operation on the calendar starts as late in the period as one without it,
    and some of them run into its last fifth (the test period of a temporal split): its start
    is drawn among those at which it fits, not by its length at the period's first start
    (a weekend and a holiday there, which had kept every such operation out of the last fifth)."""
    docs = {cal: _one_payer({"kind": "fixed", "value": 100}, "Wire", repeats=8, timing={"calendar": cal})
            for cal in (True, False)}
    for doc in docs.values():
        doc["transfers"][0]["timing"]["every"] = {"dist": "uniform", "low": 8, "high": 14}
    on, off = (_start_and_end_days(docs[cal], small_world, range(60)) for cal in (True, False))
    assert np.median(on[:, 1] - on[:, 0]) > 1.5  # days long
    assert np.median(on[:, 0]) >= np.median(off[:, 0]) - 0.5, (np.median(on[:, 0]), np.median(off[:, 0]))
    assert np.mean(on[:, 1] > 8) >= 0.05 and np.mean(off[:, 1] > 8) >= 0.2


def test_calendar_timing_that_cannot_fit_is_refused(small_world):
    doc = _one_payer({"kind": "fixed", "value": 100}, "Wire", repeats=100,
                     timing={"delay": {"dist": "fixed", "low": 0}, "calendar": True})
    doc["transfers"][0]["timing"]["every"] = {"dist": "fixed", "low": 3.0}  # 300 activity hours
    with pytest.raises(ScenarioError, match=r"transfers\[0\]\.timing"):
        compile_scenario(doc, small_world, seed=0)


def test_new_accounts_are_opened_as_a_real_profile(small_world):
    c = compile_scenario(fan_doc(), small_world, seed=0)
    profiles = c.new_accounts.column("profile").to_pylist()
    assert profiles and "unknown" not in profiles
    kinds = dict(zip(c.new_accounts.column("kind").to_pylist(), profiles, strict=True))
    assert kinds == {"person": "salaried", "business": "small_business"}
    with pytest.raises(ScenarioError, match="is not a profile an account can be opened as"):
        compile_scenario(_one_payer({"kind": "fixed", "value": 1},
                                    payer={"mode": "new", "profile": "unknown"}),
                         small_world)


def test_a_camouflage_row_is_labelled_0_and_keeps_its_role(small_world):
    doc = fan_doc()
    doc["transfers"].append({"id": "shop", "src": "m1", "dst": "boss", "channel": "Credit Card",
                             "purpose": "camouflage", "amount": {"kind": "fixed", "value": 40}})
    c = compile_scenario(doc, small_world, seed=0)
    rows = c.rows.to_pydict()
    camo = [i for i, t in enumerate(c.transfer_index) if doc["transfers"][t]["id"] == "shop"]
    assert camo and all(not rows["is_laundering"][i] and rows["role"][i] == "camouflage" for i in camo)
    assert all(rows["is_laundering"][i] for i in range(c.rows.num_rows) if i not in camo)
    assert set(rows["scenario_id"]) == {c.scenario_id}  # still part of the scenario, as metadata


def test_a_calendar_chain_is_stretched_once_not_at_every_hop():
    """The timing bound adds a calendar's quiet stretch (a long weekend) once per chain: a
    chain of calendar payments with no waits of their own is bounded by about one stretch,
    not one per hop, so fitting its timing does not squeeze every wait to nothing."""
    import numpy as np

    from graph_schema import parse_scenario
    from graph_schema.compiler.flows import CALENDAR_STRETCH_H, timing_bound_hours
    from graph_schema.typologies import sample_scenario

    doc = sample_scenario(np.random.default_rng(3), "stack").model_dump(mode="json")
    for t in doc["transfers"]:
        still = {"dist": "uniform", "low": 0.0, "high": 0.0}
        t["timing"].update({"delay": still, "repeats": 1, "calendar": True})
        t["timing"].pop("every", None)
        if t["amount"]["kind"] in ("split", "mimic"):
            t["amount"]["parts"] = 1
    s = parse_scenario(doc)
    hops = max(len(t.timing.after) for t in s.transfers)
    assert hops >= 1 and len(s.transfers) >= 3
    assert CALENDAR_STRETCH_H <= timing_bound_hours(s) < CALENDAR_STRETCH_H + 1


def _many_payments(payer: dict, n: int, usual: bool = True, kind: str = "business", **extra) -> dict:
    """``n`` payments of a payer to one business, each its own transfer (the compiler draws a
    `usual_channel` transfer's channel once)."""
    return {
        "name": "usual", "typology": ["random"], "funds_placed": 100_000, "horizon_days": 9,
        "entities": [{"id": "payer", "kind": kind, "role": "originator", "initial_funds": True,
                      "recruit": payer},
                     {"id": "shop", "kind": "business", "role": "collector"}],
        "transfers": [{"id": f"t{i}", "src": "payer", "dst": "shop", "channel": "Wire",
                       "amount": {"kind": "fraction", "fraction": 0.002}, "usual_channel": usual, **extra}
                      for i in range(n)],
    }


def _channels(c) -> np.ndarray:
    return dictionary_codes(c.rows.column("channel"), CHANNELS)


def _channel_shares(counts: np.ndarray) -> dict[str, float]:
    keep = [CHANNELS.index(c) for c in ("ACH", "Wire", "Cheque", "Credit Card")]
    return {CHANNELS[i]: counts[i] / counts[keep].sum() for i in keep}


def test_usual_channel_follows_the_payers_own_channels_and_a_set_channel_does_not(small_world):
    from scipy.stats import chisquare
    hijack = {"mode": "hijack", "profile": "small_business"}
    for seed in range(50):  # the first payer drawn that pays on more than one channel
        c = compile_scenario(_many_payments(hijack, 300), small_world, seed=seed)
        want = _channel_shares(small_world.history.channel_counts(c.entity_accounts["payer"]))
        if sum(v > 0.1 for v in want.values()) >= 2:
            break
    assert sum(v > 0.1 for v in want.values()) >= 2, want
    pd_counts = np.bincount(_channels(c), minlength=len(CHANNELS))
    used = [CHANNELS.index(k) for k, v in want.items() if v > 0]
    assert set(np.flatnonzero(pd_counts)) <= set(used)  # never a channel the payer does not pay on
    exp = np.array([want[CHANNELS[i]] for i in used]) * pd_counts[used].sum()
    assert chisquare(pd_counts[used], exp).pvalue > 0.01
    fixed = compile_scenario(_many_payments(hijack, 300, usual=False), small_world, seed=2)
    assert set(_channels(fixed)) == {CHANNELS.index("Wire")}
    assert c.scenario.transfers[0].channel.value == "Wire"  # the compiled scenario is as written


def test_usual_channel_of_a_new_account_follows_its_profile(small_world):
    doc = _many_payments({"mode": "new", "profile": "salaried"}, 300, kind="person")
    c = compile_scenario(doc, small_world, seed=4)
    got = np.bincount(_channels(c), minlength=len(CHANNELS))
    want = _channel_shares(small_world.history.profile_channel_counts(PROFILES.index("salaried")))
    share = got[CHANNELS.index("Credit Card")] / got.sum()
    assert want["Credit Card"] > 0.5 and abs(share - want["Credit Card"]) < 0.08, (share, want)


@pytest.mark.parametrize("extra, rule", [
    ({"ride": True}, "not both"),
    ({"currency": "Bitcoin", "channel": "Bitcoin"}, "Bitcoin payment"),
])
def test_usual_channel_refuses_what_has_a_channel_of_its_own(small_world, extra, rule):
    doc = _many_payments({"mode": "hijack", "profile": "small_business"}, 1, **extra)
    with pytest.raises(ScenarioError, match=rule) as err:
        compile_scenario(doc, small_world, seed=0)
    assert err.value.path == "transfers[0].usual_channel"


def test_a_transfer_without_usual_channel_keeps_its_bytes():
    from graph_schema.dsl import Scenario
    doc = _many_payments({"mode": "new", "profile": "salaried"}, 1, usual=False)
    assert "usual_channel" not in Scenario.model_validate(doc).model_dump_json()
    doc["transfers"][0]["usual_channel"] = True
    assert '"usual_channel":true' in Scenario.model_validate(doc).model_dump_json()
