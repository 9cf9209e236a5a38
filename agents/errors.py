"""Errors of the roles: one line each, naming the role and, for LLM roles, the endpoint."""

from __future__ import annotations


class RoleError(RuntimeError):
    """A role could not produce its answer (after its bounded attempts)."""

    def __init__(self, role: str, message: str, endpoint: str | None = None):
        self.role, self.endpoint = role, endpoint
        where = f"role {role}" + (f" at {endpoint}" if endpoint else "")
        super().__init__(f"{where}: {message}")


class LLMCallError(RoleError):
    """A chat-model call failed for good: unreachable, refused, timed out, or invalid output."""

    def __init__(self, role: str, endpoint: str, message: str, retryable: bool = False):
        super().__init__(role, message, endpoint)
        self.retryable = retryable


class ConfigError(ValueError):
    """A role or backend configuration is invalid; the message names the field."""


__all__ = ["ConfigError", "LLMCallError", "RoleError"]
