"""One small structured call per role, to check an endpoint before a long job (`redledger doctor`)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from agents.errors import LLMCallError
from agents.llm.accounting import collect_calls
from agents.llm.backend import Backend
from agents.llm.prompts import render


class ProbeAnswer(BaseModel):
    """The answer a health check asks for."""

    role: str = Field(description="The role name the check names.")
    ready: bool = Field(description="Always true.")


@dataclass
class ProbeResult:
    """What one role's check found."""

    role: str
    endpoint: str
    model: str
    method: str
    seconds: float
    tokens: int
    requests: int
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


async def probe(backend: Backend, role: str) -> ProbeResult:
    """Make one structured call as ``role``; a failure is kept as its one-line cause, never raised.

    Give it a started backend without a call cache, so that the endpoint really answers.
    """
    t0 = time.monotonic()
    msgs = [SystemMessage(render("probe_system")), HumanMessage(render("probe_user", role=role))]
    error = None
    with collect_calls() as calls:
        try:
            await backend.client(role).structured(ProbeAnswer, msgs, sample=0)
        except LLMCallError as err:
            error = str(err)
    return ProbeResult(role=role, endpoint=backend.endpoint, model=backend.model_name,
                       method=backend.method if calls else "-", seconds=time.monotonic() - t0,
                       tokens=sum(c.prompt_tokens + c.completion_tokens for c in calls),
                       requests=len(calls), error=error)


SPEED_PROMPT = "Write the whole numbers from 1 to 300 in words, separated by commas."


async def generation_speed(backend: Backend, tokens: int = 48) -> tuple[int, float]:
    """Completion tokens and seconds of one plain answer of about ``tokens`` tokens (prompt
    processing included: it is what a role waits for)."""
    limit = {"extra_body": {"max_tokens": tokens}} if backend.cfg.tokens_in_body else {"max_tokens": tokens}
    t0 = time.monotonic()
    answer = await backend.chat_model().ainvoke([HumanMessage(SPEED_PROMPT)], **limit)
    used = (answer.usage_metadata or {}).get("output_tokens", 0)
    return int(used), time.monotonic() - t0


__all__ = ["ProbeAnswer", "ProbeResult", "generation_speed", "probe"]
