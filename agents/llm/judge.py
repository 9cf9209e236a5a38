"""The LLM judge: pairwise verdicts under the judge principles, asked in both orders so
that a position-dependent answer becomes a tie."""

from __future__ import annotations

from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field

from agents.base import Judge
from agents.errors import RoleError
from agents.llm.backend import LLMClient
from agents.llm.prompts import render
from agents.models import Candidate, Verdict, Winner
from agents.principles import Principles, load_principles

_SWAP = {Winner.A: Winner.B, Winner.B: Winner.A, Winner.TIE: Winner.TIE}


class JudgeAnswer(BaseModel):
    """The judge model's answer."""

    model_config = ConfigDict(extra="forbid")

    winner: Winner = Field(description="'a', 'b' or 'tie'.")
    confidence: float = Field(ge=0, le=1, description="How clear the decision is.")
    rationale: str = Field(max_length=800, description="Reasons, citing principles by name.")


def _view(c: Candidate) -> dict:
    s = c.scenario
    return {"summary": f"{s.name} [{', '.join(t.value for t in s.typology)}]: {s.narrative} "
                       f"({len(s.entities)} entities, {len(s.transfers)} transfers)",
            "realism": c.review.realism, "accepted": c.review.accepted,
            "critiques": "; ".join(f"{x.check}: {x.text}" for x in c.review.critiques[:3]) or "none",
            "evasion": c.report.evasion, "evaded": c.report.evaded_share,
            "value": c.report.evaded_value_share, "case": c.report.case_evaded_share,
            "funds": c.report.funds_integrated}


class LLMJudge(Judge):
    def __init__(self, client: LLMClient, principles: Principles | None = None, swap_check: bool = True):
        self.client, self.swap_check = client, swap_check
        self.principles = principles or load_principles()

    async def _ask(self, a: Candidate, b: Candidate, sample: int) -> JudgeAnswer:
        msgs = [SystemMessage(render("judge_system", principles=self.principles.judge_text())),
                HumanMessage(render("judge_user", a=_view(a), b=_view(b)))]
        return await self.client.structured(JudgeAnswer, msgs, sample)

    async def compare(self, a: Candidate, b: Candidate) -> Verdict:
        for tag, c in (("A", a), ("B", b)):
            if c.review is None or c.report is None:
                raise RoleError(
                    "judge", f"candidate {tag} ({c.scenario.uid}) has no review or evasion report"
                )
        first = await self._ask(a, b, 0)
        if not self.swap_check:
            return Verdict(
                winner=first.winner,
                confidence=first.confidence,
                rationale=first.rationale,
                judge=self.client.model_name,
            )
        second = await self._ask(b, a, 1)
        if _SWAP[second.winner] != first.winner:
            return Verdict(
                winner=Winner.TIE,
                confidence=0.5,
                judge=self.client.model_name,
                rationale=f"position-dependent answer ({first.winner.value} then "
                f"{second.winner.value} when swapped): tie. {first.rationale}"[:800],
            )
        return Verdict(
            winner=first.winner,
            confidence=round((first.confidence + second.confidence) / 2, 4),
            rationale=first.rationale,
            judge=self.client.model_name,
        )


__all__ = ["JudgeAnswer", "LLMJudge"]
