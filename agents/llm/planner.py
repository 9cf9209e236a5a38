"""The LLM planner: Brief -> Scenario, with compile errors fed back verbatim."""

from __future__ import annotations

import numpy as np
from langchain_core.messages import HumanMessage, SystemMessage

from agents.base import Planner
from agents.digest import scenario_json
from agents.llm.backend import LLMClient
from agents.llm.fixits import apply_fixits
from agents.llm.prompts import render
from agents.models import Brief
from agents.procedural.evolver import fit_timing
from graph_schema.compiler import compile_scenario
from graph_schema.dsl import Lineage, Scenario
from graph_schema.typologies import sample_scenario


def horizon_cap(world, max_days: float | None) -> float:
    """The longest horizon a scenario of the loop may have: the World's period, or the loop's
    `agents.max_horizon_days` when it is shorter."""
    return min(float(world.config.days) if world is not None else 365.0, max_days or 365.0)


def world_facts(world, max_days: float | None = None) -> dict:
    """What the prompt says of the World; ``horizon`` is the longest operation allowed."""
    horizon = round(horizon_cap(world, max_days), 1)
    if world is None:
        return {"days": 365, "horizon": horizon, "jurisdictions": ["US"], "profiles": ["salaried"]}
    return {"days": world.config.days, "horizon": horizon,
            "jurisdictions": sorted(set(world.bank_jurisdiction)),
            "profiles": [p for p in world.profiles_present() if p not in ("cash_desk", "unknown")]}


def planner_prompt(brief: Brief, world=None) -> str:
    """The planner's user prompt for ``brief`` in ``world`` (no example), as the LLM planner
    sends it: the prompt of preference pairs exported for fine-tuning."""
    return render("planner_user", brief=brief, world=world_facts(world), example=None)


class LLMPlanner(Planner):
    """Brief -> Scenario from a chat model.

    Args:
        client: the backend handle for role 'planner'.
        world: if given, a draft must compile in it; its compile error goes back to the model.
        example: show one valid scenario of another typology for the format; by default only
            when the endpoint does not constrain decoding to the schema (a grammar already
            fixes the format, and small models copy an example instead of following the brief).
        fixits: repair a draft's bookkeeping errors deterministically (`agents.llm.fixits`)
            before its compile error goes back to the model; ``fixit_log`` keeps, per accepted
            scenario id, what they changed.
    """

    def __init__(self, client: LLMClient, world=None, example: bool | None = None, fixits: bool = True,
                 max_days: float | None = None):
        self.client, self.world, self.fixits = client, world, fixits
        self.max_days, self.capped = horizon_cap(world, max_days), max_days is not None
        self.fixit_log: dict[str, list[str]] = {}
        if example is None:
            example = not client.backend.cfg.schema_in_json_mode
        self.example = scenario_json(sample_scenario(np.random.default_rng(0), "stack")) if example else None

    async def plan(self, brief: Brief, sample: int = 0) -> Scenario:
        msgs = [SystemMessage(render("planner_system")),
                HumanMessage(render("planner_user", brief=brief, world=world_facts(self.world, self.max_days),
                                    example=self.example if brief.typology.value != "stack" else None))]

        def validate(s: Scenario) -> Scenario:
            if s.typology[0] is not brief.typology:
                raise ValueError(f"typology[0]: the brief asks for '{brief.typology.value}' as the "
                                 f"primary typology, not '{s.typology[0].value}'")
            s = s.model_copy(update={"lineage": Lineage(operator="llm:planner")})
            if self.capped:  # fitted to the loop's cap, as the procedural planner's drafts are
                fitted = fit_timing(s, self.max_days, 0.1)
                if fitted is None:
                    raise ValueError(f"horizon_days: the timing does not fit the {self.max_days:g} days an "
                                     "operation may last here; shorten delays, gaps or repeats")
                s = fitted
            if self.world is not None and self.fixits:
                s, done = apply_fixits(s, self.world)  # what is left is fed back to the model
                self.fixit_log[s.uid] = done
            elif self.world is not None:
                compile_scenario(s, self.world, seed=0)  # ScenarioError is a ValueError: fed back
            return s

        return await self.client.structured(Scenario, msgs, sample, validate)


__all__ = ["planner_prompt", "LLMPlanner", "horizon_cap", "world_facts"]
