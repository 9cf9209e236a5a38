"""Compact answers: the planner may leave optional fields out (they take their defaults), the
decoding grammar asks only for what is required plus the unions' discriminators and never for
what the loop fills, and a number out of bounds (which a grammar cannot stop) comes back as a
repair naming the field."""

from __future__ import annotations

import asyncio
import copy
import json

import jsonschema
import numpy as np
import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from agents.digest import scenario_json
from agents.errors import LLMCallError
from agents.llm import Backend, BackendConfig, LLMPlanner
from agents.llm.backend import compact_grammar
from agents.llm.client import REPAIR_STRIDE
from agents.models import Brief
from graph_schema.dsl import Scenario
from graph_schema.typologies import library, sample_scenario
from tests.conftest import fan_doc
from tests.fake_openai import FakeOpenAI


def _compact(s: Scenario) -> dict:
    return json.loads(scenario_json(s))


def _without_lineage(s: Scenario) -> dict:
    return s.model_dump(mode="json", exclude={"lineage"})


@pytest.mark.parametrize("name", ["fan_out", "stack", "structuring", "trade_based"])
def test_a_compact_answer_expands_to_the_same_scenario_as_its_full_form(scripted, world, name):
    s = sample_scenario(np.random.default_rng(2), name)
    compact = _compact(s)
    assert len(scenario_json(s)) < 0.75 * len(s.model_dump_json())
    b = scripted([json.dumps(compact)])
    got = asyncio.run(LLMPlanner(b.client("planner"), world).plan(Brief(typology=s.typology[0])))
    assert _without_lineage(got) == _without_lineage(Scenario.model_validate(s.model_dump(mode="json")))
    assert got.lineage.operator == "llm:planner"  # the loop fills it, not the model


def test_the_compact_grammar_admits_compact_and_full_answers_and_wants_the_discriminators():
    grammar = compact_grammar(Scenario.model_json_schema())
    assert "lineage" not in grammar["properties"]
    assert grammar["$defs"]["FixedAmount"]["required"] == ["value", "kind"]
    assert "narrative" not in grammar["required"] and "bank" not in grammar["$defs"]["Entity"]["required"]
    for name in sorted(library()):
        s = sample_scenario(np.random.default_rng(0), name)
        jsonschema.validate(_compact(s), grammar)
        jsonschema.validate(s.model_dump(mode="json", exclude={"lineage"}), grammar)
    doc = _compact(sample_scenario(np.random.default_rng(0), "fan_out"))
    del doc["transfers"][0]["amount"]["kind"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, grammar)


def test_an_out_of_bounds_number_is_sent_back_naming_the_field(scripted, world):
    bad = copy.deepcopy(fan_doc())
    bad["transfers"][0].setdefault("timing", {})["repeats"] = 5_256_000_000_000  # limit 100
    b = scripted([json.dumps(bad), json.dumps(fan_doc())])
    s = asyncio.run(LLMPlanner(b.client("planner"), world).plan(Brief(typology="fan_out")))
    assert s.transfers[0].timing.repeats == 1
    repair = b._model.messages.requests[1][-1].content
    assert "transfers.0.timing.repeats" in repair and "less than or equal to 100" in repair


def test_the_server_gets_the_compact_grammar_unless_full_is_asked_for(tmp_path):
    answer = json.dumps(fan_doc())
    msgs = [SystemMessage("Plan."), HumanMessage("One scenario.")]
    for grammar, lineage_offered in (("compact", False), ("full", True)):
        with FakeOpenAI(answer) as fake:
            cfg = BackendConfig(kind="openai", base_url=fake.url, model="m", structured_method="json_mode",
                                json_mode_schema=True, grammar=grammar, max_retries=0)
            with Backend(cfg) as b:
                asyncio.run(b.client("planner").structured(Scenario, msgs))
            sent = fake.bodies[-1]["response_format"]["schema"]
        assert ("lineage" in sent["properties"]) is lineage_offered
        assert ("narrative" in sent["required"]) is (grammar == "full")


def test_each_repair_asks_with_another_seed_so_the_model_need_not_repeat_itself():
    """Small models answer a repair with their first answer again; a repair request carries
    another seed (the first ask keeps the sample's own)."""
    bad = copy.deepcopy(fan_doc())
    bad["transfers"][0]["dst"] = "nobody"
    msgs = [SystemMessage("Plan."), HumanMessage("One scenario.")]
    with FakeOpenAI(json.dumps(bad)) as fake:
        cfg = BackendConfig(kind="openai", base_url=fake.url, model="m", structured_method="json_mode",
                            max_retries=0, repair_attempts=3)
        with Backend(cfg) as b, pytest.raises(LLMCallError, match="unknown entity 'nobody'"):
            asyncio.run(b.client("planner").structured(Scenario, msgs, sample=4, validate=_compiles))
    assert [body["seed"] for body in fake.bodies] == [4, 4 + REPAIR_STRIDE, 4 + 2 * REPAIR_STRIDE]


def _compiles(s: Scenario) -> Scenario:
    from graph_schema.compiler.checks import check_structure

    check_structure(s)
    return s


def _answer_schemas():
    from agents.llm.adversary import AdversaryArgument
    from agents.llm.critic import LLMReview
    from agents.llm.evolver import EvolverAnswer
    from agents.llm.judge import JudgeAnswer
    from agents.llm.mutator import EditAnswer
    from agents.llm.probe import ProbeAnswer

    return [Scenario, EditAnswer, EvolverAnswer, LLMReview, AdversaryArgument, JudgeAnswer, ProbeAnswer]


@pytest.mark.parametrize("grammar", ["compact", "full"])
def test_every_answer_schema_becomes_a_llama_cpp_grammar_without_falling_back(grammar):
    """llama.cpp's server turns a schema it cannot convert into plain JSON without a word (the
    mutator's patch `value`, pydantic's `Any`, once did that): every role's answer schema must
    convert, so the server really constrains the answer to it."""
    from llama_cpp.llama_grammar import LlamaGrammar

    from agents.llm.backend import all_required

    for schema in _answer_schemas():
        doc = (compact_grammar if grammar == "compact" else all_required)(schema.model_json_schema(), 8)
        LlamaGrammar.from_json_schema(json.dumps(doc), verbose=False)  # raises on what it cannot read
