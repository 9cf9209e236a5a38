"""Fix-its: an LLM draft's bookkeeping errors are repaired without changing its pattern."""

import copy

import pytest

from agents.llm.fixits import apply_fixits
from graph_schema.compiler import compile_scenario, parse_scenario
from graph_schema.errors import ScenarioError
from tests.conftest import fan_doc


def _flows(s):
    return [(t.src, t.dst) for t in s.transfers]


def _broken(edit) -> dict:
    doc = copy.deepcopy(fan_doc())
    edit(doc)
    return doc


def _undeclared(doc):
    doc["transfers"][3]["dst"] = "small_business_1"


def _overspent(doc):
    doc["transfers"][0]["amount"] = {"kind": "fixed", "value": 40_000}
    doc["transfers"][1]["amount"]["total"] = {"kind": "fixed", "value": 30_000}


def _forwards_more(doc):
    doc["transfers"][2]["amount"] = {"kind": "fixed", "value": 35_000}


def _too_early(doc):
    doc["transfers"][0]["timing"] = {"delay": {"dist": "fixed", "low": 48}}
    doc["transfers"][2]["timing"] = {"after": [], "delay": {"dist": "fixed", "low": 1}}


def _few_parts(doc):
    doc["transfers"][1]["amount"]["parts"] = 2


def _spent_all(doc):  # the originator pays its whole share, then pays again
    doc["transfers"][0]["amount"] = {"kind": "fixed", "value": 50_000}
    doc["transfers"][1]["amount"]["total"] = {"kind": "fixed", "value": 10_000}


def _taken_id(doc):
    doc["transfers"][3]["id"] = "c"


def _shares_over_one(doc):  # the originator's shares add up to more than its funds
    doc["transfers"][0]["amount"] = {"kind": "fraction", "fraction": 0.6}
    doc["transfers"][1]["amount"]["total"] = {"kind": "fraction", "fraction": 0.6}


def _hop_shares_over_one(doc):  # a mule forwards 0.9 of what it received, twice
    doc["transfers"].append({"id": "e", "src": "m1", "dst": "boss", "timing": {"after": ["c"]},
                             "amount": {"kind": "fraction", "fraction": 0.9}})


@pytest.mark.parametrize("edit, says", [
    (_shares_over_one, "the shares 'origin' pays (1.2 of what it received) scaled"),
    (_hop_shares_over_one, "the shares 'm1' pays (1.8 of what it received) scaled"),
    (_spent_all, "funds_placed raised to"),
    (_taken_id, "transfers[3] renamed 'c_2'"),
    (_undeclared, "declared entity 'small_business_1' (hijacked small_business)"),
    (_overspent, "funds_placed raised"),
    (_forwards_more, "transfers[2] forwards 0.9"),
    (_too_early, "transfers[2] waits for a"),
    (_few_parts, "transfers[1] split into"),
])
def test_each_bookkeeping_error_is_fixed_and_the_pattern_kept(small_world, edit, says):
    draft = parse_scenario(_broken(edit))
    with pytest.raises(ScenarioError):
        compile_scenario(draft, small_world, seed=0)
    fixed, done = apply_fixits(draft, small_world)
    compile_scenario(fixed, small_world, seed=0)
    assert any(d.startswith(says) for d in done), done
    assert _flows(fixed) == _flows(draft)
    assert [e.id for e in fixed.entities][: len(draft.entities)] == [e.id for e in draft.entities]


def test_a_valid_draft_is_untouched(small_world):
    s = parse_scenario(fan_doc())
    assert apply_fixits(s, small_world) == (s, [])


def test_an_error_no_fixit_handles_goes_back_unchanged(small_world):
    doc = fan_doc()
    doc["entities"][2]["jurisdiction"] = "ZZ"
    with pytest.raises(ScenarioError) as err:
        apply_fixits(parse_scenario(doc), small_world)
    assert "jurisdiction" in str(err.value)


def test_a_payment_to_its_own_payer_is_dropped_with_its_place_in_the_timing(small_world):
    doc = fan_doc()
    doc["transfers"].append({"id": "e", "src": "m2", "dst": "m2", "timing": {"after": ["b"]},
                             "amount": {"kind": "fraction", "fraction": 0.5}})
    doc["transfers"][3]["timing"]["after"] = ["b", "e"]
    fixed, done = apply_fixits(parse_scenario(doc), small_world)
    assert done == ["dropped transfers[4] ('e' paid its own payer)"]
    assert fixed == parse_scenario(fan_doc())


@pytest.mark.parametrize("field, edit", [
    ("funds_placed", lambda d: d.update(funds_placed=9.5e18)),
    ("transfers[0].amount.value",
     lambda d: d["transfers"][0].update(amount={"kind": "fixed", "value": 1e12})),
])
def test_an_absurd_amount_goes_back_to_the_model_named(small_world, field, edit):
    """The grammar cannot bound numbers: an amount no operation places is refused, not 'fixed'
    by raising the funds to match it."""
    doc = fan_doc()
    edit(doc)
    with pytest.raises(ScenarioError) as err:
        apply_fixits(parse_scenario(doc), small_world)
    assert err.value.path == field and "more than any one operation places" in err.value.rule


def test_funds_rise_until_a_fixed_payment_after_a_share_is_covered(small_world):
    """The originator first pays a share of its funds, then a fixed amount: every raise of the
    funds also raises the share, so one step by the shortfall is not enough; the fix-it keeps
    raising (one logged fix-it), and a payment after the whole share cannot be covered at all."""
    doc = fan_doc()
    doc["transfers"][0]["amount"] = {"kind": "fraction", "fraction": 0.9}
    doc["transfers"][1]["amount"]["total"] = {"kind": "fixed", "value": 30_000}
    fixed, done = apply_fixits(parse_scenario(doc), small_world)
    compile_scenario(fixed, small_world, seed=0)
    assert len(done) == 1 and done[0].startswith("funds_placed raised to")
    assert fixed.funds_placed <= 10 * 30_000 * 1.05 * 4  # the shortfall's scale, not the ceiling
    doc["transfers"][0]["amount"] = {"kind": "fraction", "fraction": 1.0}
    with pytest.raises(ScenarioError, match="spends more than its share"):
        apply_fixits(parse_scenario(doc), small_world)


def test_roles_left_out_come_from_the_flows(small_world):
    """A compact answer that leaves every role out: the funded entity becomes the originator and
    the entity that only receives the beneficiary, so the laundering-purpose gate can see where
    the money ends; roles the draft wrote are kept."""
    doc = fan_doc()
    for e in doc["entities"]:
        e.pop("role")
    doc["entities"][1]["role"] = "mule"
    fixed, done = apply_fixits(parse_scenario(doc), small_world)
    roles = {e.id: e.role.value for e in fixed.entities}
    assert roles == {"origin": "originator", "m1": "mule", "m2": "layer", "boss": "beneficiary"}
    assert done == ["entity 'origin' is the originator (its role was left out)",
                    "entity 'boss' is the beneficiary (its role was left out)"]
