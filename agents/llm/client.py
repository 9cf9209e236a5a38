"""A role's handle on a chat-model endpoint: `LLMClient.structured()` returns a pydantic
model through `with_structured_output`, with timeouts, retries with exponential backoff on
429/5xx/timeouts/malformed bodies, and a bounded repair loop that feeds every validation
or compile error back to the model verbatim. Every HTTP request is recorded, a
well-formed answer that breaks the schema as a failure with its error."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable

import openai
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from pydantic import BaseModel

from agents.errors import LLMCallError
from agents.llm.accounting import CallRecord
from agents.llm.cache import was_cached
from agents.llm.errors import classify, malformed, one_line, refuses
from agents.llm.prompts import render

log = logging.getLogger("redledger.llm")


REPAIR_STRIDE = 1_000_003  # a repair asks with another seed: small models otherwise repeat their answer


def repair_seed(sample: int, attempt: int) -> int:
    """The request seed of ``attempt`` (0 = the first ask) for sample ``sample``."""
    return int(sample) + REPAIR_STRIDE * int(attempt)


class LLMClient:
    """A role's handle on a backend."""

    def __init__(self, backend, role: str):  # backend: an `agents.llm.backend.Backend`
        self.backend, self.role = backend, role

    @property
    def model_name(self) -> str:
        return self.backend.model_name

    def _fail(self, message: str) -> LLMCallError:
        return LLMCallError(self.role, self.backend.endpoint, self.backend.redact(message))

    async def structured(
        self,
        schema: type[BaseModel],
        messages: list[BaseMessage],
        sample: int = 0,
        validate: Callable[[BaseModel], BaseModel | None] | None = None,
    ) -> BaseModel:
        """A ``schema`` instance from the model, repaired up to ``repair_attempts`` times.

        ``validate`` may raise ValueError (ScenarioError included) to send its message back
        to the model, or return a replacement value.

        Raises:
            LLMCallError: the endpoint failed for good, or no valid answer within the bound.
        """
        if self.backend._model is None:
            self.backend.start()
        msgs, last = list(messages), ""
        n = self.backend.cfg.repair_attempts
        for attempt in range(n):
            out = await self._call(schema, msgs, sample, attempt)
            parsed, err = out.get("parsed"), out.get("parsing_error")
            if err is None and parsed is None:
                err = ValueError("the answer is empty")
            if err is None and validate is not None:
                try:
                    parsed = validate(parsed) or parsed
                except ValueError as e:
                    err = e
            # the request is recorded now that its answer is judged: a well-formed answer that
            # breaks the schema or the compiler is a failed request, with the error it got
            self._record(
                *out["request"],
                error=None if err is None else f"invalid {schema.__name__}: {one_line(err, 500)}",
            )
            if err is None:
                return parsed
            last = one_line(err)
            log.info(
                "role %s: invalid %s (attempt %d/%d): %s",
                self.role,
                schema.__name__,
                attempt + 1,
                n,
                self.backend.redact(last[:300]),
            )
            msgs = msgs + [
                AIMessage(content=_answer_text(out.get("raw"))),
                HumanMessage(render("repair", schema=schema.__name__, error=last)),
            ]
        raise self._fail(f"no valid {schema.__name__} after {n} attempts; last error: {last[:300]}")

    async def _call(self, schema, msgs, sample: int, attempt: int) -> dict:
        sem, probe, model = self.backend._state()
        if self.backend._pinned is None:
            async with probe:  # one call finds the method; the others then use it
                return await self._retrying(schema, msgs, sample, attempt, sem, model)
        return await self._retrying(schema, msgs, sample, attempt, sem, model)

    async def _retrying(self, schema, msgs, sample: int, attempt: int, sem, model) -> dict:
        b, cfg = self.backend, self.backend.cfg
        wait, tries = cfg.backoff_s, 0
        while True:
            if (dead := b.dead()) is not None:  # no request, and no retry, to a process that is gone
                raise self._fail(dead)
            method = b.method
            t0 = time.monotonic()
            try:
                async with sem:
                    out = await asyncio.wait_for(
                        b.variant(model, method, schema, repair_seed(sample, attempt)).ainvoke(
                            b.prepare_messages(msgs, schema, method)),
                        cfg.timeout_s)
            except openai.LengthFinishReasonError as err:  # an answer, cut short: repair it
                u = err.completion.usage
                b.pin(method)
                return {"raw": None, "parsed": None, "parsing_error": ValueError(
                    f"the answer was cut at the limit of {cfg.max_tokens} tokens ({err.completion.usage}); "
                    "write a shorter, complete answer"),
                    "request": (method, sample, attempt, time.monotonic() - t0, None,
                                (u.prompt_tokens, u.completion_tokens) if u else None)}
            except Exception as err:  # noqa: BLE001 - every failure is classified and recorded
                retry, why = classify(err, cfg.timeout_s, cfg.key_variable, cfg.model)
                if (bad_body := malformed(err, b.endpoint)) is not None:
                    retry, why = True, bad_body  # a body cut in transit: ask again
                if isinstance(err, openai.APIConnectionError) and (dead := b.dead(grace_s=2.0)) is not None:
                    why, retry = dead, False
                self._record(method, sample, attempt, time.monotonic() - t0, None, tokens=_tokens_of(err),
                             error=why)
                if refuses(err, method) and b.refuse(method):
                    log.info("endpoint %s refuses %s (%s); trying %s", b.endpoint, method, why, b.method)
                    continue
                if retry and tries < cfg.max_retries:
                    tries += 1
                    log.warning("role %s at %s: %s; retry %d/%d in %.1f s", self.role, b.endpoint,
                                b.redact(why), tries, cfg.max_retries, wait)
                    await asyncio.sleep(wait)
                    wait *= 2
                    continue
                raise self._fail(why + (f" (after {tries} retries)" if tries else "")) from None
            b.pin(method)
            return {**out, "request": (method, sample, attempt, time.monotonic() - t0, out.get("raw"), None)}

    def _record(
        self,
        method: str,
        sample: int,
        attempt: int,
        latency_s: float,
        raw,
        tokens: tuple[int, int] | None = None,
        error: str | None = None,
    ) -> None:
        """One record per HTTP request, failed or not, with the tokens the server reported
        (``tokens``: prompt and completion tokens of a failed request, where it said)."""
        meta = getattr(raw, "usage_metadata", None) or {}
        tin, tout = tokens or (meta.get("input_tokens", 0), meta.get("output_tokens", 0))
        tin, tout = int(tin or 0), int(tout or 0)
        self.backend.ledger.record(
            CallRecord(
                role=self.role,
                model=self.model_name,
                endpoint=self.backend.endpoint,
                method=method,
                sample=sample,
                attempt=attempt,
                prompt_tokens=tin,
                completion_tokens=tout,
                latency_s=round(latency_s, 4),
                cache_hit=raw is not None and was_cached([raw]),
                ok=error is None,
                error=None if error is None else self.backend.redact(error),
            )
        )


def _tokens_of(err: BaseException) -> tuple[int, int] | None:
    """Prompt and completion tokens an error response reported (some servers bill them)."""
    body = getattr(err, "body", None)
    usage = body.get("usage") if isinstance(body, dict) else None
    if isinstance(usage, dict):
        return usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)
    return None


def _answer_text(raw) -> str:
    """What the model said, as text (tool-call arguments included) to quote back to it."""
    if raw is None:
        return ""
    calls = getattr(raw, "tool_calls", None) or []
    if calls:
        return json.dumps(calls[0].get("args", {}))
    return raw.content if isinstance(raw.content, str) else json.dumps(raw.content)


__all__ = ["LLMClient"]
