"""`build_roles`: one config switch moves a role from procedural to LLM."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import ValidationError

from agents import AgentsConfig, Brief, build_roles
from agents.llm import LLMPlanner
from agents.procedural import (
    ChecksCritic,
    DetectorAdversary,
    OperatorEvolver,
    PrinciplesJudge,
    TemplatePlanner,
)


def test_procedural_by_default(world, detector):
    roles = build_roles(AgentsConfig(), world, {"gine": detector})
    assert isinstance(roles.planner, TemplatePlanner) and isinstance(roles.critic, ChecksCritic)
    assert isinstance(roles.adversary, DetectorAdversary) and isinstance(roles.evolver, OperatorEvolver)
    assert isinstance(roles.judge, PrinciplesJudge) and not roles.backends


def test_one_switch_puts_a_chat_model_behind_a_role(world, scenario, tmp_path):
    cfg = AgentsConfig.model_validate({
        "planner": {"mode": "llm", "backend": "fake"},
        "backends": {"fake": {"kind": "scripted", "script": [scenario.model_dump_json()]}}})
    roles = build_roles(cfg, world, {}, cache_path=tmp_path / "calls.sqlite", only=("planner", "critic"))
    assert isinstance(roles.planner, LLMPlanner) and roles.adversary is None
    s = asyncio.run(roles.planner.plan(Brief(typology="fan_out")))
    assert s.transfers == scenario.transfers
    assert roles.ledger.rows()[0]["role"] == "planner"
    assert (tmp_path / "calls.sqlite").exists()
    roles.close()


def test_a_role_naming_a_missing_backend_is_rejected():
    with pytest.raises(ValidationError, match=r"critic.backend: no backend named 'gpt' \(defined: none\)"):
        AgentsConfig.model_validate({"critic": {"mode": "llm", "backend": "gpt"}})
