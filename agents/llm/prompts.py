"""Prompt files (`agents/prompts/*.jinja2`), rendered in a sandbox with strict variables."""

from __future__ import annotations

from importlib import resources

from jinja2 import FunctionLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment


def _load(name: str) -> str | None:
    f = resources.files("agents").joinpath(f"prompts/{name}")
    return f.read_text() if f.is_file() else None


_ENV = SandboxedEnvironment(loader=FunctionLoader(_load), undefined=StrictUndefined,
                            trim_blocks=True, lstrip_blocks=True)


def render(name: str, **variables) -> str:
    """Render prompt file ``name`` (without the .jinja2 extension).

    Raises:
        jinja2.TemplateNotFound: no such prompt file.
        jinja2.UndefinedError: a variable the prompt uses was not given.
    """
    return _ENV.get_template(f"{name}.jinja2").render(**variables).strip()


__all__ = ["render"]
