"""The LLM evolver: whole new child scenarios, each change naming what it answers."""

from __future__ import annotations

from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field

from agents.base import Evolver
from agents.digest import scenario_json
from agents.llm.backend import LLMClient
from agents.llm.prompts import render
from agents.models import Candidate, Offspring
from graph_schema.compiler import compile_scenario
from graph_schema.dsl import Lineage, Scenario
from graph_schema.errors import ScenarioError


class ChildDraft(BaseModel):
    """One child of the evolver model."""

    model_config = ConfigDict(extra="forbid")

    parents: list[int] = Field(min_length=1, description="Indexes of the parents it derives from.")
    operator: str = Field(max_length=40, description="Short name of the change, e.g. 'insert_hop'.")
    answers: list[str] = Field(
        min_length=1, description="Critique ids (C1, C2, ...) or flagged transfer ids each change answers."
    )
    scenario: Scenario = Field(description="The whole new scenario.")


class EvolverAnswer(BaseModel):
    """The evolver model's answer."""

    model_config = ConfigDict(extra="forbid")

    children: list[ChildDraft] = Field(min_length=1, description="The child scenarios.")


def parent_views(parents: list[Candidate]) -> tuple[list[dict], dict]:
    """What the evolver prompt shows of each parent (compact scenario, critiques numbered C1,
    C2, ... across parents, flagged transfers, evasion), and the critiques by id."""
    views, critiques, k = [], {}, 0
    for p in parents:
        cs = []
        for c in (p.review.critiques if p.review else []):
            k += 1
            critiques[f"C{k}"] = c
            cs.append({"id": f"C{k}", "check": c.check, "severity": c.severity, "text": c.text})
        views.append({"scenario": scenario_json(p.scenario), "critiques": cs,
                      "flagged": p.report.flagged_transfers if p.report else [],
                      "evasion": p.report.evasion if p.report else 0.0,
                      "value": p.report.evaded_value_share if p.report else 0.0})
    return views, critiques


class LLMEvolver(Evolver):
    def __init__(self, client: LLMClient, world=None, max_days: float | None = None):
        from agents.llm.planner import horizon_cap

        self.client, self.world, self.max_days = client, world, horizon_cap(world, max_days)

    async def evolve(self, parents: list[Candidate], n: int, sample: int = 0) -> list[Offspring]:
        if not parents:
            return []
        views, critiques = parent_views(parents)
        flagged = {t for v in views for t in v["flagged"]}
        msgs = [SystemMessage(render("evolver_system")),
                HumanMessage(render("evolver_user", n=n, parents=views))]

        def validate(ans: EvolverAnswer) -> EvolverAnswer:
            for i, ch in enumerate(ans.children):
                bad = [x for x in ch.parents if not 0 <= x < len(parents)]
                if bad:
                    raise ValueError(
                        f"children[{i}].parents: {bad} are not parent indexes 0-{len(parents) - 1}"
                    )
                unknown = [a for a in ch.answers if a not in critiques and a not in flagged]
                if unknown:
                    raise ValueError(
                        f"children[{i}].answers: {unknown} are neither critique ids "
                        f"({', '.join(critiques) or 'none'}) nor flagged transfers "
                        f"({', '.join(sorted(flagged)) or 'none'})"
                    )
                if ch.scenario.horizon_days > self.max_days:
                    raise ValueError(f"children[{i}].scenario.horizon_days: {ch.scenario.horizon_days:g} "
                                     f"days is longer than an operation may last ({self.max_days:g} days)")
                if self.world is not None:
                    try:
                        compile_scenario(ch.scenario, self.world, seed=0)
                    except ScenarioError as err:
                        raise ValueError(f"children[{i}].scenario.{err}") from None
            return ans

        ans = await self.client.structured(EvolverAnswer, msgs, sample, validate)
        out = []
        for ch in ans.children[:n]:
            ps = [parents[i].scenario for i in dict.fromkeys(ch.parents)]
            lineage = Lineage(
                parents=[p.uid for p in ps],
                operator=f"llm:{ch.operator}",
                generation=max(p.lineage.generation for p in ps) + 1,
            )
            answers = [critiques[a].key if a in critiques else f"flagged transfer '{a}'" for a in ch.answers]
            out.append(
                Offspring(
                    scenario=ch.scenario.model_copy(update={"lineage": lineage}),
                    operator=f"llm:{ch.operator}",
                    answers=answers,
                )
            )
        return out


__all__ = ["ChildDraft", "EvolverAnswer", "LLMEvolver", "parent_views"]
