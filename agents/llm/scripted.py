"""The `scripted` backend: langchain-core's fake chat model, replaying answers in order.

It is the one test double of the LLM paths (defined once, here, and used by the tests and
by offline demos). Over langchain's `GenericFakeChatModel` it adds what the real backends
have: `with_structured_output` (JSON text parsed into the pydantic model), token usage,
a ``seed`` that enters the cache key, injected failures (HTTP 429/500, timeouts, 401) as
the real OpenAI client's exceptions, and endpoints that reject a structured-output method.
"""

from __future__ import annotations

import asyncio
import threading
from operator import itemgetter
from typing import Any

import httpx
import openai
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.output_parsers import PydanticOutputParser
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import RunnableMap, RunnablePassthrough

SCRIPTED_URL = "scripted://fake"


def _response(code: int) -> httpx.Response:
    return httpx.Response(code, request=httpx.Request("POST", f"{SCRIPTED_URL}/chat/completions"))


def scripted_failure(entry: str) -> Exception | None:
    """The exception a script entry '!error:KIND' stands for."""
    if not entry.startswith("!error:"):
        return None
    kind = entry.split(":", 1)[1]
    if kind == "429":
        return openai.RateLimitError("rate limited", response=_response(429), body=None)
    if kind == "500":
        return openai.InternalServerError("server error", response=_response(500), body=None)
    if kind == "auth":
        return openai.AuthenticationError("invalid api key", response=_response(401), body=None)
    if kind == "timeout":
        return openai.APITimeoutError(request=_response(408).request)
    if kind == "hang":
        return None  # handled in _agenerate: it sleeps past any timeout
    raise ValueError(f"unknown scripted failure '{entry}'")


class ScriptedChatModel(GenericFakeChatModel):
    """Replays ``messages`` (JSON strings or '!error:KIND' entries) in order."""

    seed: int | None = None
    extra_body: dict | None = None
    reject_methods: list[str] = []
    structured_method: str | None = None

    @property
    def _llm_type(self) -> str:
        return "scripted"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": "scripted", "seed": self.seed, "extra_body": self.extra_body,
                "method": self.structured_method}

    def _answer(self, entry, messages) -> ChatResult:
        text = entry if isinstance(entry, str) else entry.content
        err = scripted_failure(text)
        if err is not None:
            raise err
        n_in = sum(len(str(m.content)) for m in messages) // 4 + 1
        n_out = len(text) // 4 + 1
        msg = AIMessage(content=text, usage_metadata={"input_tokens": n_in, "output_tokens": n_out,
                                                      "total_tokens": n_in + n_out})
        return ChatResult(generations=[ChatGeneration(message=msg)])

    def _rejected(self) -> None:
        if self.structured_method in self.reject_methods:  # as llama.cpp does with json_schema
            raise openai.InternalServerError(f"{self.structured_method} is not supported",
                                             response=_response(500), body=None)

    def _next(self, messages):
        if isinstance(self.messages, Script):
            self.messages.requests.append(list(messages))
        return next(self.messages)

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        self._rejected()
        return self._answer(self._next(messages), messages)

    async def _agenerate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        self._rejected()
        entry = self._next(messages)
        if entry == "!error:hang":  # a server that never answers: only a timeout ends the call
            await asyncio.sleep(3600)
        return self._answer(entry, messages)

    def bind_tools(self, tools, **kwargs):
        return self

    def with_structured_output(self, schema, *, method: str = "json_mode", include_raw: bool = False,
                               **kwargs):
        llm = self.model_copy(update={"structured_method": method})
        llm.__dict__.pop("_serialized", None)
        parser = PydanticOutputParser(pydantic_object=schema)
        if not include_raw:
            return llm | parser
        assign = RunnablePassthrough.assign(parsed=itemgetter("raw") | parser, parsing_error=lambda _: None)
        none = RunnablePassthrough.assign(parsed=lambda _: None)
        return RunnableMap(raw=llm) | assign.with_fallbacks([none], exception_key="parsing_error")


class Script:
    """The answers, shared by every copy of the model (copies are made per call)."""

    def __init__(self, entries: list[str]):
        self.entries, self.i, self.lock = list(entries), 0, threading.Lock()
        self.requests: list[list] = []  # the messages of every call that reached the model

    def __iter__(self):
        return self

    def __next__(self) -> str:
        with self.lock:
            if self.i >= len(self.entries):
                raise RuntimeError(f"the script ran out after {len(self.entries)} answers")
            self.i += 1
            return self.entries[self.i - 1]


def scripted_model(script: list[str], reject_methods: list[str] | None = None, **kw) -> ScriptedChatModel:
    return ScriptedChatModel(messages=Script(script), reject_methods=list(reject_methods or []), **kw)


__all__ = ["SCRIPTED_URL", "Script", "ScriptedChatModel", "scripted_failure", "scripted_model"]
