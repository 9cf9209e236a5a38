"""Payments rounded like their payer's (`round_like_payer`): as often as the payer's own
payments on the channel are round sums, in the payer's own currency, never up, and losing at
most a tenth; a scenario without the flag keeps its bytes."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph_schema import ScenarioError, compile_scenario
from graph_schema.compiler.blend import ROUND_LOSS, round_down_like
from graph_schema.dsl import Scenario
from graph_schema.tables import CHANNELS, PROFILES
from graph_schema.world.history import is_round

FUNDS, SHARE = 123_457.0, 0.002  # payments of 246.91 USD: not round by themselves


def _payments(n: int, jurisdiction: str, **flags) -> dict:
    """``n`` ACH payments of a new salaried person in ``jurisdiction`` to a business, each a
    0.2% share of the funds, each its own transfer."""
    return {
        "name": "round", "typology": ["random"], "funds_placed": FUNDS, "horizon_days": 9,
        "entities": [{"id": "payer", "kind": "person", "role": "originator", "initial_funds": True,
                      "jurisdiction": jurisdiction, "recruit": {"mode": "new", "profile": "salaried"}},
                     {"id": "shop", "kind": "business", "role": "collector", "jurisdiction": jurisdiction}],
        "transfers": [{"id": f"t{i}", "src": "payer", "dst": "shop", "channel": "ACH",
                       "amount": {"kind": "fraction", "fraction": SHARE}, **flags} for i in range(n)],
    }


def _round_share(c) -> float:
    return float(np.mean(is_round(c.rows.column("amount_paid").to_numpy())))


@pytest.mark.parametrize("jurisdiction, currency", [("US", "US Dollar"), ("DE", "Euro"), ("JP", "Yen")])
def test_payments_are_round_in_the_payers_currency_as_often_as_its_peers(small_world, jurisdiction, currency):
    peers = small_world.history.round_share(-1, PROFILES.index("salaried"), CHANNELS.index("ACH"))
    flagged = compile_scenario(_payments(300, jurisdiction, round_like_payer=True), small_world, seed=1)
    plain = compile_scenario(_payments(300, jurisdiction), small_world, seed=1)
    assert set(flagged.rows.column("payment_currency").to_pylist()) == {currency}
    assert peers > 0.1, peers  # salaried people pay rent and bills in round sums
    assert abs(_round_share(flagged) - peers) < 0.07, (_round_share(flagged), peers)
    assert _round_share(plain) < 0.03  # shares of what was received are never round by themselves
    # rounded down, never up, and by at most a tenth
    base = flagged.base_amounts
    assert base.max() <= FUNDS * SHARE + 1e-6 and base.min() >= (1 - ROUND_LOSS) * FUNDS * SHARE - 1e-6


def test_a_mimic_amount_is_rounded_in_the_payers_currency_only_with_the_flag(small_world):
    """The base currency is the dollar and the payments are in yen: with `round_like_payer`
    they are as round there as the peers' payments; without it they keep the rounding of the
    scenarios released before it (in dollars, which a yen payment almost never is)."""
    whole = {"kind": "fraction", "fraction": 1}
    got = {}
    for flag in (True, False):
        doc = _payments(1, "JP", round_like_payer=flag)
        doc["transfers"][0].update(amount={"kind": "mimic", "parts": 100, "total": whole},
                                   timing={"every": {"dist": "uniform", "low": 0.5, "high": 1.0}})
        got[flag] = _round_share(compile_scenario(doc, small_world, seed=2))
    peers = small_world.history.round_share(-1, PROFILES.index("salaried"), CHANNELS.index("ACH"))
    assert abs(got[True] - peers) < 0.08 and got[False] < peers / 2, (got, peers)


@pytest.mark.parametrize("extra, rule", [
    ({"ride": True}, "not both"),
    ({"currency": "Bitcoin", "channel": "Bitcoin"}, "Bitcoin payment"),
])
def test_round_like_payer_refuses_a_payment_whose_amount_is_not_its_own(small_world, extra, rule):
    doc = _payments(1, "US", round_like_payer=True, **extra)
    for e in doc["entities"]:
        profile = "salaried" if e["kind"] == "person" else "small_business"
        e["recruit"] = {"mode": "hijack", "profile": profile}
    doc["entities"][0]["initial_funds"] = not extra.get("ride")
    if extra.get("ride"):
        boss = {"id": "boss", "kind": "person", "role": "placement", "initial_funds": True}
        doc["entities"].insert(0, boss)
        doc["transfers"].insert(0, {"id": "in", "src": "boss", "dst": "payer",
                                    "amount": {"kind": "fraction", "fraction": 1}})
    with pytest.raises(ScenarioError, match=rule) as err:
        compile_scenario(doc, small_world, seed=0)
    assert err.value.path.endswith(".round_like_payer")


def test_a_transfer_without_round_like_payer_keeps_its_bytes():
    doc = _payments(1, "US")
    plain = Scenario.model_validate(doc)
    assert "round_like_payer" not in plain.model_dump_json()
    flagged = copy.deepcopy(doc)
    flagged["transfers"][0]["round_like_payer"] = True
    assert Scenario.model_validate(flagged).uid != plain.uid


@settings(max_examples=300, deadline=None)
@given(st.floats(0.01, 1e9), st.floats(0.0, 1.0), st.integers(0, 2**32 - 1))
def test_rounding_down_keeps_nine_tenths_and_lands_on_a_human_unit(local, share, seed):
    got = round_down_like(local, share, np.random.default_rng(seed))
    assert got <= local
    if got != local:
        assert got >= (1 - ROUND_LOSS) * local and is_round(np.array([got]))[0]
    if share == 0.0:
        assert got == local


def test_is_round_reads_a_human_unit_of_the_amounts_scale():
    assert is_round(np.array([3_400.0, 45.0, 120.0, 25_000.0])).all()
    assert not is_round(np.array([3_456.78, 45.5, 125.0, 25_100.0])).any()
