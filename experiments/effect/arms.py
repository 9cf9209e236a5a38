"""The arms of the ablation (E3): the whole loop, and the loop with one stage switched off.

Together the stages are CodecLM's encode (briefs), decode (planner), filter (the critic's
gate and the contrastive filter) and the Co-Scientist loop (debate, evolution,
tournament), plus the defender's co-evolution. Each arm is a function of the loop's run
config, so every other setting stays equal.
"""

from __future__ import annotations

from collections.abc import Callable

from agents.factory import ROLE_NAMES
from orchestrator.engine import RunConfig


def _set(cfg: RunConfig, **changes) -> RunConfig:
    """``cfg`` with dotted fields changed (e.g. ``stages__critic_gate=False``), validated again."""
    doc = cfg.model_dump(mode="json")
    for key, value in changes.items():
        node, *path, leaf = key.split("__")
        target = doc[node]
        for p in path:
            target = target[p]
        if path or isinstance(target, dict):
            target[leaf] = value
        else:
            doc[node] = value
    return RunConfig.model_validate(doc)


def _field(name: str, value) -> Callable[[RunConfig], RunConfig]:
    return lambda cfg: _set(cfg, **{name: value})


def _procedural(cfg: RunConfig) -> RunConfig:
    """Every role procedural, all else equal: the baseline an LLM arm is compared with."""
    return _set(cfg, **{f"agents__{r}__mode": "procedural" for r in ROLE_NAMES})


ARMS: dict[str, Callable[[RunConfig], RunConfig]] = {
    "full": lambda cfg: cfg,
    "no-debate": lambda cfg: cfg.model_copy(update={"debate_turns": 1}),  # one draft per brief, never revised
    "no-critic-gate": _field("stages__critic_gate", False),
    "blind-evolver": _field("agents__steering", False),  # no adversary evidence: uniform operators
    "no-evolver": lambda cfg: cfg.model_copy(update={"evolve_share": 0.0}),  # planner resampling only
    "no-coevolution": lambda cfg: cfg.model_copy(update={"coevolution_period": 0}),
    "no-brief-encoding": _field("stages__brief_encoding", False),  # the planner gets only a typology name
    "no-contrastive": _field("contrastive__enabled", False),  # keep every accepted candidate
    "procedural": _procedural,  # with an agents_file: the same loop without the LLM
    "blend-in": _field("agents__blend_in", True),  # drafts and children recruit and keep the calendar
    "no-blend": _field("agents__blend_in", False),  # the loop as it was before blending was its default
}

DESCRIPTIONS = {
    "full": "the whole loop",
    "no-debate": "one draft per brief or parent pair, never revised (debate_turns = 1)",
    "no-critic-gate": "the critic scores realism but never rejects",
    "blind-evolver": "no adversary evidence: operators drawn uniformly",
    "no-evolver": "planner resampling only (evolve_share = 0)",
    "no-coevolution": "detectors never retrain (coevolution_period = 0)",
    "no-brief-encoding": "the planner gets only a typology name",
    "no-contrastive": "every accepted candidate is kept",
    "procedural": "every role procedural (the baseline of an LLM arm)",
    "blend-in": "drafts and children blend in (agents.blend_in): capacity fitted, accounts recruited "
    "from the World, payments on the calendar",
    "no-blend": "drafts and children do not blend in (agents.blend_in = false): the templates' own "
    "accounts and timing",
}

__all__ = ["ARMS", "DESCRIPTIONS"]
