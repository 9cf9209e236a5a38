"""Classify chat-model failures, and keep secrets out of every message we write."""

from __future__ import annotations

import json
import re

import openai

_KEYLIKE = re.compile(r"\b(sk|key|api[-_]?key)[-_][A-Za-z0-9*_\-]{4,}", re.IGNORECASE)

# HTTP statuses by which an endpoint refuses a structured-output method it does not have
# (llama.cpp answers json_schema with 500; others use 400 or 422). A status alone is not a
# refusal: the answer must also name the parameter (see `refuses`), since a 500 may as
# well be a passing fault, which is retried.
METHOD_REFUSALS = (openai.BadRequestError, openai.UnprocessableEntityError, openai.InternalServerError)
# What an answer that refuses a method names: its request parameter or its value.
METHOD_WORDS = {"json_schema": ("json_schema", "response_format"),
                "json_mode": ("json_object", "response_format"),
                "function_calling": ("tools", "tool_choice", "function")}


def refuses(err: BaseException, method: str) -> bool:
    """Does ``err`` say that the endpoint does not support structured-output ``method``?"""
    if not isinstance(err, METHOD_REFUSALS):
        return False
    body = getattr(err, "body", None)
    text = f"{err} {json.dumps(body, default=str) if body is not None else ''}".lower()
    return any(w in text for w in METHOD_WORDS.get(method, ()))


def malformed(err: BaseException, endpoint: str) -> str | None:
    """One line for an answer whose body is not valid JSON (naming endpoint and byte), or None."""
    cause = err
    while cause is not None and not isinstance(cause, json.JSONDecodeError):
        cause = cause.__cause__ or cause.__context__
    if cause is None:
        return None
    return (
        f"malformed response body from {endpoint}: not valid JSON at byte {cause.pos} ({cause.msg.lower()})"
    )


def redact(text: str, secret: str | None) -> str:
    """``text`` without ``secret`` and without anything shaped like an API key."""
    if secret and len(secret) >= 4:
        text = text.replace(secret, "***")
    return _KEYLIKE.sub(lambda m: m.group(1) + "-***", text)


def classify(err: BaseException, timeout_s: float, key_env: str | None, model: str) -> tuple[bool, str]:
    """(retryable, one-line cause) of a failed call."""
    status = getattr(err, "status_code", None)
    if isinstance(err, openai.AuthenticationError):
        where = f"check the key in ${key_env}" if key_env else "the endpoint wants a key: set api_key_env"
        return False, f"authentication failed (HTTP 401); {where}"
    if isinstance(err, openai.PermissionDeniedError):
        return False, f"permission denied (HTTP 403) for model '{model}'"
    if isinstance(err, openai.NotFoundError):
        return False, f"not found (HTTP 404); check base_url and model '{model}'"
    if isinstance(err, openai.RateLimitError):
        return True, "rate limited (HTTP 429)"
    if isinstance(err, openai.APITimeoutError | TimeoutError):
        return True, f"no answer within {timeout_s:g} s (timeout)"
    if isinstance(err, openai.APIConnectionError):
        return True, "cannot connect to the endpoint (is it running and reachable?)"
    if isinstance(err, openai.APIStatusError):
        retry = status is not None and status >= 500
        return retry, f"HTTP {status}: {_first_line(err)}"
    return False, f"{type(err).__name__}: {_first_line(err)}"


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return (text[0] if text else type(err).__name__)[:300]


def one_line(err: BaseException | str, limit: int = 2000) -> str:
    return " ".join(str(err).split())[:limit]


__all__ = ["METHOD_REFUSALS", "classify", "malformed", "one_line", "redact", "refuses"]
