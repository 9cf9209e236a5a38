"""The LLM detector adversary: the detectors give the numbers, the model the argument."""

from __future__ import annotations

import asyncio

from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field

from agents.base import Adversary
from agents.digest import scenario_json
from agents.llm.backend import LLMClient
from agents.llm.prompts import render
from agents.models import EvasionReport
from agents.procedural.adversary import DetectorAdversary
from graph_schema.dsl import Scenario


class AdversaryArgument(BaseModel):
    """The adversary model's answer: words only; every figure comes from the detectors."""

    model_config = ConfigDict(extra="forbid")

    argument: str = Field(max_length=900, description="Why the detectors score the scenario as they do.")
    exposed: list[str] = Field(default_factory=list, description="Ids of the exposed transfers.")
    suggestions: list[str] = Field(
        default_factory=list,
        max_length=5,
        description="Typology-level structural changes that would expose less.",
    )


class LLMAdversary(Adversary):
    def __init__(self, client: LLMClient, evidence: DetectorAdversary):
        self.client, self.evidence = client, evidence

    async def evaluate(self, scenario: Scenario) -> EvasionReport:
        report = await asyncio.to_thread(self.evidence.evaluate_now, scenario)
        ids = {t.id for t in scenario.transfers}
        msgs = [
            SystemMessage(render("adversary_system")),
            HumanMessage(
                render(
                    "adversary_user",
                    scenario=scenario_json(scenario),
                    budget=report.budget,
                    detectors="\n".join(
                        f"- {d.detector}: {d.flagged} of {d.rows} alerted, mean score "
                        f"{d.mean_score:.3f}, mean percentile {d.mean_percentile:.3f}"
                        for d in report.detectors
                    ),
                    transfers="\n".join(
                        f"- {t.transfer}: {t.flagged_rows}/{t.rows} alerted, max score {t.max_score:.3f}"
                        for t in report.transfers[:30]
                    ),
                )
            ),
        ]

        def validate(ans: AdversaryArgument) -> AdversaryArgument:
            bad = [t for t in ans.exposed if t not in ids]
            if bad:
                raise ValueError(f"exposed: {bad} are not transfer ids of the scenario (ids: {sorted(ids)})")
            return ans

        ans = await self.client.structured(AdversaryArgument, msgs, 0, validate)
        text = ans.argument + ("" if not ans.suggestions else " Suggestions: " + "; ".join(ans.suggestions))
        return report.model_copy(update={"argument": text[:1200], "author": self.client.model_name})


__all__ = ["AdversaryArgument", "LLMAdversary"]
