"""`ride` transfers: laundering carried by payments the accounts make anyway (commingling)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from detectors.realism import frame
from detectors.units import scenario_units, unit_features
from graph_schema.compiler import compile_scenario
from graph_schema.compiler.core import compile_those_that_fit
from graph_schema.compiler.flows import integrated_funds
from graph_schema.dsl import Scenario
from graph_schema.errors import ScenarioError
from graph_schema.world import WorldConfig, generate_world
from graph_schema.world.inject import inject, pack
from tests.conftest import fan_doc


def ride_doc(**over) -> dict:
    """Cash placed in a hijacked business, which passes it on inside its usual ACH payments."""
    doc = {
        "name": "commingled front", "typology": ["shell_layering"], "funds_placed": 30_000,
        "horizon_days": 9,
        "entities": [
            {"id": "boss", "kind": "person", "role": "originator", "initial_funds": True},
            {"id": "front", "kind": "business", "recruit": {"mode": "hijack", "profile": "small_business"}},
            {"id": "supp", "kind": "business", "role": "beneficiary",
             "recruit": {"mode": "hijack", "profile": "small_business"}},
        ],
        "transfers": [
            {"id": "place", "src": "boss", "dst": "front", "channel": "ACH",
             "amount": {"kind": "fixed", "value": 20_000}},
            {"id": "pass", "src": "front", "dst": "supp", "channel": "ACH", "ride": True,
             "amount": {"kind": "fraction", "fraction": 0.9},
             "timing": {"after": ["place"], "repeats": 2, "delay": {"low": 1, "high": 5}}},
        ],
    }
    doc.update(over)
    return doc


@pytest.fixture(scope="module")
def riding(small_world):
    """The first compile seed under which the ride finds payments to carry it."""
    for seed in range(40):
        got = compile_those_that_fit([ride_doc()], small_world, seed)
        if got and got[0].rides:
            return got[0]
    pytest.fail("no compile seed let the business ride its payments")


def test_a_ride_row_is_the_background_payment_it_rides_labelled(small_world, riding):
    ride = riding.ridden >= 0
    assert ride.sum() >= 1 and (~ride).sum() == 1  # the placement is the operation's own payment
    mine = riding.rows.to_pandas()[ride].reset_index(drop=True)
    theirs = small_world.ledger.take(riding.ridden[ride]).to_pandas()
    for col in ("timestamp", "src_account", "dst_account", "amount_paid", "payment_currency",
                "amount_received", "channel"):
        assert (mine[col].astype(str) == theirs[col].astype(str)).all(), col
    assert mine["is_laundering"].all() and not theirs["is_laundering"].any()
    front, supp = riding.entity_accounts["front"], riding.entity_accounts["supp"]
    assert set(mine["src_account"]) == {front} and set(mine["dst_account"]) == {supp}


def test_a_ride_carries_at_most_what_reached_the_payer(riding):
    ride = riding.ridden >= 0
    placed = riding.base_amounts[~ride].sum()
    assert riding.base_amounts[ride].sum() <= placed + 0.01
    assert 0 < integrated_funds(riding) <= placed + 0.01


def test_inject_puts_the_ride_in_its_payments_place(small_world, riding):
    after = inject(small_world, [riding])
    added = int((riding.ridden < 0).sum())
    assert after.ledger.num_rows == small_world.ledger.num_rows + added
    sid = np.array(after.ledger.column("scenario_id").to_pylist(), dtype=object)
    assert (sid == riding.scenario_id).sum() == riding.rows.num_rows
    assert after.ledger.column("is_laundering").to_numpy(zero_copy_only=False).sum() == riding.rows.num_rows


def test_packing_a_riding_scenario_is_refused(riding):
    with pytest.raises(ValueError, match="rides background payments"):
        pack([riding])


def test_an_account_reached_only_by_rides_looks_exactly_as_before(small_world, riding):
    base = frame(small_world.ledger, small_world.n_accounts, 0)
    units, scen = scenario_units([riding], small_world.n_accounts)
    units = pd.DataFrame(units, columns=["account", "label", "group", "profile", "control_of", "controls"])
    supp = riding.entity_accounts["supp"]
    one = units[units["account"] == supp]
    span = float(base["t"].max() - base["t"].min())
    with_scenario = unit_features(base, one, scen, span)
    alone = unit_features(base, one, scen.iloc[:0], span)
    cols = [c for c in with_scenario.columns if c not in one.columns]
    assert np.allclose(with_scenario[cols].to_numpy(float), alone[cols].to_numpy(float), equal_nan=True)


@pytest.mark.parametrize("change, rule", [
    (lambda d: d["entities"][1].update(initial_funds=True), "holds initial funds"),
    (lambda d: d["entities"][2].update(recruit={"mode": "new"}), "is not hijacked"),
])
def test_ride_rules_name_the_transfer(small_world, change, rule):
    doc = ride_doc()
    change(doc)
    with pytest.raises(ScenarioError, match=rule) as err:
        compile_scenario(doc, small_world, 0)
    assert err.value.path == "transfers[1].ride"


def test_a_ride_no_payment_can_carry_is_paid_as_an_ordinary_transfer(small_world):
    doc = ride_doc()
    doc["transfers"][1]["channel"] = "Bitcoin"  # businesses here never pay each other in Bitcoin
    doc["transfers"][1]["timing"]["repeats"] = 1
    c = compile_scenario(doc, small_world, 0)
    assert not c.rides
    onward = c.transfer_index == 1
    assert onward.sum() == 1  # its fraction of what the front holds
    assert c.base_amounts[onward][0] == pytest.approx(0.9 * 20_000, abs=0.01)


def test_scenarios_without_rides_keep_their_bytes_and_ids():
    s = Scenario.model_validate(ride_doc())
    plain = Scenario.model_validate({**ride_doc(), "transfers": [
        {k: v for k, v in t.items() if k != "ride"} for t in ride_doc()["transfers"]]})
    assert '"ride"' not in plain.model_dump_json() and '"ride":true' in s.model_dump_json()
    assert Scenario.model_validate(fan_doc()).uid == "c1a7b875f454a307"  # its id before `ride` existed


def test_a_ride_compiled_in_another_world_is_refused(small_world, riding):
    other = generate_world(WorldConfig(accounts=3000, days=10, seed=12))
    with pytest.raises(ValueError, match="rides payments of another World"):
        inject(other, [riding])


def test_a_ride_carries_at_most_what_its_amount_spec_says(small_world):
    doc = ride_doc()
    doc["transfers"][1]["amount"] = {"kind": "fraction", "fraction": 0.05}
    got = [c for seed in range(40) for c in compile_those_that_fit([doc], small_world, seed) if c.rides]
    assert got, "no compile seed let the business ride its payments"
    for c in got[:5]:
        ride = c.ridden >= 0
        assert (c.base_amounts[ride] <= 0.05 * 20_000 + 0.01).all()
