"""The baseline typology library: parameterised scenario templates stored as TOML files.

A template file holds metadata, parameter ranges (``[params.NAME]`` with ``int``,
``float`` (optionally ``log = true``) or ``choice``), and ``body``: a sandboxed Jinja
template that renders to a TOML scenario document. Sampling parameters and rendering gives
a valid `Scenario`; the procedural planner samples variants this way.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import tomli
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from graph_schema.compiler import parse_scenario
from graph_schema.dsl import Scenario
from graph_schema.errors import ScenarioError

_ENV = SandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=True)


def _draws(seed: int, count: int, low: int, high: int) -> list[int]:
    """``count`` integers in [low, high), reproducible from ``seed`` (for random walks)."""
    return np.random.default_rng(seed).integers(low, high, count).tolist()


_ENV.globals["draws"] = _draws
# Shares are floored, never rounded up, so that n shares never exceed the whole.
_ENV.filters["floor4"] = lambda x: float(np.floor(x * 1e4) / 1e4)


@cache
def _compiled(body: str):
    """Parsing a Jinja template costs far more than rendering it: parse each body once."""
    return _ENV.from_string(body)


@dataclass(frozen=True)
class Template:
    """One parameterised typology template."""

    name: str
    typology: tuple[str, ...]
    summary: str
    params: dict[str, dict[str, Any]]
    body: str
    path: str

    def sample_params(self, rng: np.random.Generator) -> dict[str, Any]:
        """Draw every parameter from its declared range."""
        out: dict[str, Any] = {}
        for name, spec in self.params.items():
            if "int" in spec:
                lo, hi = spec["int"]
                out[name] = int(rng.integers(lo, hi + 1))
            elif "float" in spec:
                lo, hi = spec["float"]
                x = np.exp(rng.uniform(np.log(lo), np.log(hi))) if spec.get("log") else rng.uniform(lo, hi)
                out[name] = round(float(x), 2)
            else:
                out[name] = spec["choice"][int(rng.integers(len(spec["choice"])))]
        return out

    def render(self, params: dict[str, Any]) -> Scenario:
        """Render the template with ``params`` into a validated Scenario.

        Raises:
            ScenarioError: a parameter is missing, or the rendered document is invalid.
        """
        missing = set(self.params) - set(params)
        if missing:
            raise ScenarioError(f"{self.path}: params", f"missing parameters {sorted(missing)}")
        try:
            text = _compiled(self.body).render(**params)
            doc = tomli.loads(text)
        except (TemplateError, tomli.TOMLDecodeError) as err:
            raise ScenarioError(f"{self.path}: body", f"template does not render: {err}") from None
        doc.setdefault("lineage", {"operator": f"template:{self.name}", "generation": 0})
        return parse_scenario(doc)

    def sample(self, rng: np.random.Generator) -> Scenario:
        return self.render(self.sample_params(rng))


def _parse(name: str, text: str) -> Template:
    path = f"graph_schema/typologies/{name}"
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(path, f"not valid TOML: {err}") from None
    for key in ("name", "typology", "summary", "body"):
        if key not in raw:
            raise ScenarioError(f"{path}: {key}", "required field is missing")
    for pname, spec in raw.get("params", {}).items():
        if len({"int", "float", "choice"} & set(spec)) != 1:
            raise ScenarioError(f"{path}: params.{pname}", "needs exactly one of int, float, choice")
    return Template(raw["name"], tuple(raw["typology"]), raw["summary"].strip(),
                    raw.get("params", {}), raw["body"], path)


@cache
def library() -> dict[str, Template]:
    """Every template of the library, by name."""
    out = {}
    for f in sorted(resources.files(__name__).iterdir(), key=lambda p: p.name):
        if f.name.endswith(".toml"):
            t = _parse(f.name, f.read_text())
            out[t.name] = t
    return out


def sample_scenario(rng: np.random.Generator, name: str | None = None) -> Scenario:
    """A scenario from a named template, or from a template drawn uniformly."""
    lib = library()
    if name is None:
        name = sorted(lib)[int(rng.integers(len(lib)))]
    if name not in lib:
        raise KeyError(f"unknown typology template '{name}' (known: {', '.join(sorted(lib))})")
    return lib[name].sample(rng)


__all__ = ["Template", "library", "sample_scenario"]
