"""The LLM mutator: the model writes small edits (an operator on a transfer it names, or a
JSON patch), each applied, fitted and compiled like a procedural child; edits that fail go
back as one repair naming each edit; the factory picks it for an LLM evolver."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest

from agents.errors import LLMCallError
from agents.llm.mutator import LLMMutator, PatchOp, apply_patch
from agents.models import Candidate
from graph_schema.compiler import compile_scenario
from graph_schema.typologies import sample_scenario


def _parent(name: str = "stack", seed: int = 3) -> Candidate:
    return Candidate(scenario=sample_scenario(np.random.default_rng(seed), name))


def _answer(*edits: dict) -> str:
    return json.dumps({"edits": list(edits)})


def test_an_operator_edit_applies_to_the_transfer_the_model_names(scripted, world):
    p = _parent()
    target = p.scenario.transfers[1].id
    b = scripted([_answer({"parent": 0, "operator": "insert_hop", "target": target, "answers": []})])
    (child,) = asyncio.run(LLMMutator(b.client("evolver"), world).evolve([p], 1))
    assert child.operator == "llm:insert_hop" and child.scenario.lineage.parents == [p.scenario.uid]
    hop = [e for e in child.scenario.entities if e.id.startswith("hop_")]
    assert len(hop) == 1
    # the named transfer now pays the new intermediary
    assert next(t for t in child.scenario.transfers if t.id == target).dst == hop[0].id


def test_an_operator_edit_on_an_entity_acts_on_the_first_transfer_it_pays(scripted, world):
    """Qwen named entities as targets ('importer') in the effect-llm run."""
    p = _parent()
    payer = p.scenario.transfers[2].src
    first = next(t for t in p.scenario.transfers if t.src == payer)
    b = scripted([_answer({"parent": 0, "operator": "insert_hop", "target": payer})])
    (child,) = asyncio.run(LLMMutator(b.client("evolver"), world).evolve([p], 1))
    hop = next(e.id for e in child.scenario.entities if e.id.startswith("hop_"))
    assert next(t for t in child.scenario.transfers if t.id == first.id).dst == hop


def test_a_patch_edit_changes_exactly_what_it_names(scripted, world):
    p = _parent()
    patch = [{"op": "replace", "path": "/funds_placed", "value": 50000.0},
             {"op": "replace", "path": "/transfers/0/channel", "value": "Wire"}]
    b = scripted([_answer({"parent": 0, "operator": "patch", "patch": patch})])
    (child,) = asyncio.run(LLMMutator(b.client("evolver"), world).evolve([p], 1))
    s = child.scenario
    assert s.funds_placed == 50000.0 and s.transfers[0].channel.value == "Wire"
    assert child.operator == "llm:patch:funds_placed,transfers"
    assert [t.id for t in s.transfers] == [t.id for t in p.scenario.transfers]


def test_a_path_from_a_transfers_field_is_read_under_the_target_transfer(scripted, world):
    """Small models write /channel when they mean the transfer they name in `target`; without
    a target (and nothing flagged) the repair says where paths start."""
    p = _parent()
    target = p.scenario.transfers[1].id
    patch = [{"op": "replace", "path": "/channel", "value": "Wire"}]
    b = scripted([_answer({"parent": 0, "operator": "patch", "target": target, "patch": patch})])
    (child,) = asyncio.run(LLMMutator(b.client("evolver"), world).evolve([p], 1))
    assert [t.channel.value for t in child.scenario.transfers][1] == "Wire"
    assert child.scenario.transfers[0].channel == p.scenario.transfers[0].channel
    no_target = _answer({"parent": 0, "operator": "patch", "patch": patch})
    b = scripted([no_target, _answer({"parent": 0, "operator": "add_delay"})], cache=False)
    asyncio.run(LLMMutator(b.client("evolver"), world).evolve([p], 1))
    repair = b._model.messages.requests[1][-1].content
    assert "names a transfer's field; paths start at the scenario, e.g. /transfers/0/timing" in repair


def test_failed_edits_go_back_as_one_repair_naming_each(scripted, world):
    p = _parent()
    nowhere = [{"op": "replace", "path": "/nope/3", "value": 1}]
    bad = _answer({"parent": 0, "operator": "teleport", "target": None},
                  {"parent": 0, "operator": "patch", "patch": nowhere},
                  {"parent": 0, "operator": "insert_hop", "target": "no_such_transfer"})
    good = _answer({"parent": 0, "operator": "add_delay"})
    b = scripted([bad, good])
    (child,) = asyncio.run(LLMMutator(b.client("evolver"), world).evolve([p], 3))
    assert child.operator == "llm:add_delay"
    repair = b._model.messages.requests[1][-1].content
    assert "no edit gave a valid child" in repair
    assert "edits[0].operator: 'teleport' is neither 'patch' nor one of" in repair
    assert "edits[1].patch[0].path: '/nope/3' does not exist" in repair
    assert "edits[2].target: 'no_such_transfer' is neither a transfer nor an entity of parent 0" in repair


def test_a_compile_error_of_a_patched_child_is_fed_back(scripted, world):
    p = _parent()
    to_nowhere = _answer({"parent": 0, "operator": "patch",
                          "patch": [{"op": "replace", "path": "/entities/0/jurisdiction", "value": "ZZ"}]})
    b = scripted([to_nowhere] * 3)
    with pytest.raises(LLMCallError, match="no valid EditAnswer after 3 attempts"):
        asyncio.run(LLMMutator(b.client("evolver"), world).evolve([p], 1))
    assert "this World has no bank in 'ZZ'" in b._model.messages.requests[1][-1].content


def test_a_field_the_amounts_kind_lacks_is_refused_with_the_kinds_fields(scripted, world):
    """Qwen patched `/amount/parts` into fraction amounts in the effect-llm run: the repair now
    says which fields that kind has and how to change the kind, and the prompt lists them."""
    p = _parent()
    i, t = next((i, t) for i, t in enumerate(p.scenario.transfers) if t.amount.kind == "fraction")
    parts = _answer({"parent": 0, "operator": "patch",
                     "patch": [{"op": "replace", "path": f"/transfers/{i}/amount/parts", "value": 4}]})
    split = {"kind": "split", "total": t.amount.model_dump(mode="json"), "parts": 4, "under": 1e6}
    whole = _answer({"parent": 0, "operator": "patch",
                     "patch": [{"op": "replace", "path": f"/transfers/{i}/amount", "value": split}]})
    b = scripted([parts, whole], cache=False)
    (child,) = asyncio.run(LLMMutator(b.client("evolver"), world).evolve([p], 1))
    assert child.scenario.transfers[i].amount.kind == "split" and child.scenario.transfers[i].id == t.id
    system, repair = b._model.messages.requests[0][0].content, b._model.messages.requests[1][-1].content
    assert "- fraction: fraction" in system and "- split: total, parts, under" in system
    assert (f"edits[0].patch[0].path: '/transfers/{i}/amount/parts': a 'fraction' amount has no field "
            "'parts' (its fields: fraction); to change the kind, replace the whole amount") in repair


def test_a_child_that_overspends_is_fixed_like_a_draft_and_says_so(scripted, world):
    """Qwen's patches set fixed amounts a payer cannot cover (2 of 5 failed edits in the
    effect-llm run); the planner's fix-its now repair a child's bookkeeping too."""
    p = _parent()
    i = next(i for i, t in enumerate(p.scenario.transfers) if t.src != p.scenario.transfers[0].src)
    too_much = {"kind": "fixed", "value": 50 * p.scenario.funds_placed}
    patch = [{"op": "replace", "path": f"/transfers/{i}/amount", "value": too_much}]
    b = scripted([_answer({"parent": 0, "operator": "patch", "patch": patch})])
    m = LLMMutator(b.client("evolver"), world)
    (child,) = asyncio.run(m.evolve([p], 1))
    assert child.operator == "llm:patch:transfers+fixits"
    (done,) = m.fixit_log.values()
    assert done and child.scenario.transfers[i].amount.kind == "fixed"
    compile_scenario(child.scenario, world, seed=0)


def test_apply_patch_adds_appends_and_removes():
    doc = {"a": [1, 2], "b": {"c": 1}}
    out = apply_patch(doc, [PatchOp(op="add", path="/a/-", value=3), PatchOp(op="remove", path="/b/c"),
                            PatchOp(op="add", path="/b/d", value="x")])
    assert out == {"a": [1, 2, 3], "b": {"d": "x"}} and doc == {"a": [1, 2], "b": {"c": 1}}


def test_the_factory_gives_an_llm_evolver_the_mutator_unless_whole_scenarios_are_asked_for(world):
    from agents.factory import AgentsConfig, build_roles
    from agents.llm import LLMEvolver

    base = {"evolver": {"mode": "llm", "backend": "b"},
            "backends": {"b": {"kind": "scripted", "script": ["{}"]}}}
    roles = build_roles(AgentsConfig.model_validate(base), world, {}, only=("evolver",))
    assert isinstance(roles.evolver, LLMMutator)
    whole_cfg = AgentsConfig.model_validate({**base, "llm_evolver": "whole"})
    whole = build_roles(whole_cfg, world, {}, only=("evolver",))
    assert isinstance(whole.evolver, LLMEvolver)
