"""The LLM realism critic: one score per principle from the model; realism is their
principle-weighted mean, computed here, never by the model."""

from __future__ import annotations

import asyncio

from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field

from agents.base import Critic
from agents.digest import flows, scenario_json
from agents.llm.backend import LLMClient
from agents.llm.prompts import render
from agents.models import CheckResult, Critique, Review
from agents.procedural.critic import ChecksCritic
from graph_schema.dsl import Scenario


class LLMReview(BaseModel):
    """The critic model's answer."""

    model_config = ConfigDict(extra="forbid")

    checks: list[CheckResult] = Field(description="One entry per principle, named as the principle.")
    critiques: list[Critique] = Field(default_factory=list, description="Objections, most severe first.")
    summary: str = Field("", max_length=600, description="The verdict in one or two sentences.")


class LLMCritic(Critic):
    """Scenario -> Review from a chat model that reads the principles, the compiled flows and
    the procedural checks' measurements as evidence."""

    def __init__(self, client: LLMClient, checks: ChecksCritic):
        self.client, self.checks = client, checks
        self.principles = checks.principles

    async def review(self, scenario: Scenario) -> Review:
        compiled, evidence = await asyncio.to_thread(self.checks.assess, scenario)
        if compiled is None:
            return evidence  # it does not compile: nothing for a model to judge
        names = [p.name for p in self.principles.critic.principles]
        msgs = [
            SystemMessage(render("critic_system", principles=self.principles.critic_text())),
            HumanMessage(
                render(
                    "critic_user",
                    scenario=scenario_json(scenario),
                    rows=compiled.rows.num_rows,
                    flows=flows(compiled),
                    evidence="\n".join(f"- {c.name}: {c.score:.2f}, {c.reason}" for c in evidence.checks),
                )
            ),
        ]

        def validate(ans: LLMReview) -> LLMReview:
            got = {c.name for c in ans.checks}
            missing = [n for n in names if n not in got]
            if missing:
                raise ValueError(
                    f"checks: missing principle(s) {missing}; return exactly one check per "
                    f"principle, named {names}"
                )
            return ans

        ans = await self.client.structured(LLMReview, msgs, 0, validate)
        checks = [c for c in ans.checks if c.name in names]
        return self.checks.verdict(
            scenario,
            checks,
            evidence.gates,
            reviewer=self.client.model_name,
            summary=ans.summary,
            critiques=sorted(ans.critiques, key=lambda c: -c.severity),
        )


__all__ = ["LLMCritic", "LLMReview"]
