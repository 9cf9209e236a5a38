"""A chat-model endpoint and the discipline of every call made to it.

`Backend` owns one endpoint: the chat model (openai, local llama.cpp, or scripted), the
SQLite call cache, the token ledger, the concurrency limit, and the structured-output
method that works there. `LLMClient` (`agents/llm/client.py`) is a role's handle on it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import weakref

import httpx
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel

from agents.errors import ConfigError
from agents.llm.accounting import TokenLedger
from agents.llm.cache import CallCache
from agents.llm.client import LLMClient
from agents.llm.config import METHOD_ORDER, BackendConfig
from agents.llm.errors import redact
from agents.llm.local_server import LocalServer
from agents.llm.prompts import render
from agents.llm.scripted import SCRIPTED_URL, scripted_model

log = logging.getLogger("redledger.llm")


class Backend:
    """One endpoint shared by the roles that name it.

    Args:
        cfg: the backend's configuration.
        cache: call cache (a run keeps one per run directory); None disables caching.
        ledger: token accounting shared across backends of a run.
        chat_model: an already built chat model (tests); otherwise built from ``cfg``.
    """

    def __init__(self, cfg: BackendConfig, cache: CallCache | None = None,
                 ledger: TokenLedger | None = None, chat_model=None):
        self.cfg, self.cache = cfg, cache
        self.ledger = ledger if ledger is not None else TokenLedger()
        self.server: LocalServer | None = None
        self._secret: str | None = None
        self._model = chat_model
        self._build = None  # builds the chat model; async HTTP clients belong to one event loop
        self._pinned: str | None = None if cfg.structured_method == "auto" else cfg.structured_method
        self._untried = list(METHOD_ORDER)
        self._loop_state: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self.endpoint = {"scripted": SCRIPTED_URL}.get(cfg.kind, cfg.base_url or "https://api.openai.com/v1")

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> Backend:
        """Build the chat model (starting the local server first for 'local').

        Raises:
            ConfigError: the API key variable is unset for OpenAI's API, or the local model is missing.
        """
        if self._model is not None:
            return self
        cfg = self.cfg
        if cfg.kind == "scripted":
            self._model = scripted_model(cfg.script, cache=self.cache if self.cache is not None else False)
            return self
        if cfg.kind == "local":
            self.server = LocalServer(cfg.local, alias=cfg.model)
            self.endpoint = self.server.start()
            key = "sk-local"
        else:
            var = cfg.key_variable
            # the client sends some key; keyless servers ignore it
            key = os.environ.get(var) if var else "sk-none"
            if not key:
                raise ConfigError(f"backend.api_key_env: environment variable {var} is not set")
        self._secret = key
        from langchain_openai import ChatOpenAI

        def build():  # a fresh HTTP client each time: langchain shares one per URL across event loops
            return ChatOpenAI(
                http_async_client=httpx.AsyncClient(timeout=cfg.timeout_s),
                model=cfg.model,
                base_url=self.endpoint,
                api_key=key,
                temperature=cfg.temperature,
                timeout=cfg.timeout_s,
                max_retries=0,
                cache=self.cache if self.cache is not None else False,
                max_tokens=None if cfg.tokens_in_body else cfg.max_tokens,
            )

        self._build, self._model = build, build()
        if self._pinned is None and self.cache is not None:
            self._pinned = self.cache.method_for(self._method_key)
        return self

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def __enter__(self) -> Backend:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def _method_key(self) -> str:
        return f"{self.endpoint}|{self.cfg.model}"

    @property
    def model_name(self) -> str:
        return self.cfg.model if self.cfg.kind != "scripted" else "scripted"

    def client(self, role: str) -> LLMClient:
        return LLMClient(self, role)

    def chat_model(self):
        """A chat model of this backend for plain (unstructured) calls; start() first."""
        if self._model is None:
            raise RuntimeError("backend not started")
        return self._build() if self._build is not None else self._model

    # ---------------------------------------------------------------- structured-output method

    @property
    def method(self) -> str:
        return self._pinned or self._untried[0]

    def pin(self, method: str) -> None:
        if self._pinned is None:
            self._pinned = method
            if self.cache is not None:
                self.cache.remember_method(self._method_key, method)
            log.info("endpoint %s: structured output by %s", self.endpoint, method)

    def refuse(self, method: str) -> bool:
        """The endpoint refused ``method``; move to the next. False if none is left."""
        if self._pinned is not None:
            return False
        if method in self._untried:
            self._untried.remove(method)
        return bool(self._untried)

    def _state(self) -> tuple[asyncio.Semaphore, asyncio.Lock, object]:
        """Semaphore, probe lock and chat model of the running event loop."""
        loop = asyncio.get_running_loop()
        if loop not in self._loop_state:
            model = self._build() if self._build is not None else self._model
            self._loop_state[loop] = (asyncio.Semaphore(self.cfg.concurrency), asyncio.Lock(), model)
        return self._loop_state[loop]

    def variant(self, model, method: str, schema: type[BaseModel], sample: int):
        """The chat model for one call: the sample index rides in the request seed, and
        llama.cpp gets max_tokens and (in json_mode) the schema through extra_body."""
        body: dict = {}
        if self.cfg.tokens_in_body:
            body["max_tokens"] = self.cfg.max_tokens
        if method == "json_mode" and self.cfg.schema_in_json_mode:
            full = self.cfg.grammar == "full"
            grammar = (all_required if full else compact_grammar)(schema.model_json_schema(),
                                                                    self.cfg.grammar_max_items)
            body["response_format"] = {"type": "json_object", "schema": grammar}
        m = model.model_copy(update={"seed": int(sample), "extra_body": body or None})
        # langchain memoises the serialised parameters (the cache key); a copy must not inherit them
        m.__dict__.pop("_serialized", None)
        return m.with_structured_output(schema, method=method, include_raw=True)

    def prepare_messages(self, messages: list[BaseMessage], schema: type[BaseModel], method: str) -> list:
        out = list(messages)
        if method == "json_mode" and not self.cfg.schema_in_json_mode:
            out.insert(1, SystemMessage(render("json_mode", schema=json.dumps(schema.model_json_schema()))))
        if self.cfg.kind == "local" and self.cfg.local.model == "gemma3" and not self.cfg.local.model_path:
            # Gemma's chat format drops system messages: fold them into the first user turn
            system = "\n\n".join(m.content for m in out if isinstance(m, SystemMessage))
            rest = [m for m in out if not isinstance(m, SystemMessage)]
            if rest and system:
                rest[0] = HumanMessage(f"{system}\n\n{rest[0].content}")
            out = rest
        return out

    def dead(self, grace_s: float = 0.0) -> str | None:
        """Why the local server is gone (one line), or None: a live or remote endpoint."""
        return self.server.death(grace_s) if self.server is not None else None

    def redact(self, text: str) -> str:
        return redact(text, self._secret)


# a node with none of these says nothing about its shape (pydantic's `Any`): llama.cpp's
# schema converter refuses it and the server then silently drops the whole grammar
_SHAPE_KEYS = ("type", "anyOf", "oneOf", "allOf", "$ref", "enum", "const", "properties", "items")
ANY_JSON = {"type": ["string", "number", "boolean", "object", "array", "null"]}


def _shaped(node: dict) -> dict:
    """``node`` with an explicit any-JSON type when it has no shape of its own."""
    return node if any(k in node for k in _SHAPE_KEYS) else {**node, **ANY_JSON}


def all_required(node, max_items: int | None = None):
    """The JSON schema as a decoding grammar: every property required, as OpenAI's strict
    mode asks, so that a constrained decoder always writes the discriminators (``kind``,
    ``mode``) and complete objects; arrays capped at ``max_items`` so that small models stop.
    The pydantic model still validates the answer with its own bounds."""
    if isinstance(node, dict):
        out = {k: all_required(v, max_items) for k, v in node.items()}
        if isinstance(out.get("properties"), dict):
            out["properties"] = {k: _shaped(v) for k, v in out["properties"].items()}
            out["required"] = list(out["properties"])
        if max_items is not None and out.get("type") == "array":
            out["maxItems"] = min(out.get("maxItems", max_items), max_items)
            out["minItems"] = min(out.get("minItems", 0), max_items)
        return out
    if isinstance(node, list):
        return [all_required(v, max_items) for v in node]
    return node


# fields the loop fills in after parsing: never part of a decoding grammar
LOOP_FIELDS = ("lineage",)
# discriminators of the DSL's unions: a grammar must make the model write them
DISCRIMINATORS = ("kind", "mode")


def compact_grammar(node, max_items: int | None = None, top: bool = True):
    """The JSON schema as a compact decoding grammar: only what the schema requires, plus
    the unions' discriminators (``kind``, ``mode``), must be written; optional fields may be
    left out and get their defaults when the answer is parsed; the fields the loop fills
    (``lineage``) are not offered; arrays capped at ``max_items``. Numeric bounds stay in the
    schema but a grammar ignores them: the pydantic model checks them when it parses."""
    if isinstance(node, list):
        return [compact_grammar(v, max_items, False) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: compact_grammar(v, max_items, False) for k, v in node.items()}
    props = out.get("properties")
    if isinstance(props, dict):
        props = out["properties"] = {k: _shaped(v) for k, v in props.items()}
        if top:
            for f in LOOP_FIELDS:
                props.pop(f, None)
        need = [k for k in out.get("required", []) if k in props]
        out["required"] = need + [k for k in DISCRIMINATORS if k in props and k not in need]
    if max_items is not None and out.get("type") == "array":
        out["maxItems"] = min(out.get("maxItems", max_items), max_items)
        out["minItems"] = min(out.get("minItems", 0), max_items)
    return out


__all__ = ["Backend", "LLMClient", "all_required", "compact_grammar"]
