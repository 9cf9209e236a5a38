"""The procedural realism critic: the registered checks, weighted by the principles."""

from __future__ import annotations

import asyncio

from agents.base import Critic
from agents.models import CheckResult, Critique, Review
from agents.principles import Principles, load_principles
from agents.procedural.checks import CHECKS
from agents.procedural.context import CheckContext
from agents.procedural.stats import WorldStats, world_stats
from graph_schema.compiler import CompiledScenario, compile_scenario
from graph_schema.dsl import Scenario
from graph_schema.errors import ScenarioError


def realism(checks: list[CheckResult], principles: Principles) -> float:
    """Weighted mean of check scores; weights from the critic principles of the same name."""
    weight = {p.name: p.weight for p in principles.critic.principles}
    num = sum(weight.get(c.name, 1.0) * c.score for c in checks)
    den = sum(weight.get(c.name, 1.0) for c in checks)
    return num / den if den else 0.0


def critiques_of(checks: list[CheckResult]) -> list[Critique]:
    """One objection per check that is not fully satisfied, most severe first."""
    out = [Critique(check=c.name, severity=round(1 - c.score, 4), text=c.reason)
           for c in checks if c.score < 0.999]
    return sorted(out, key=lambda c: -c.severity)


class ChecksCritic(Critic):
    """Scenario -> Review from the realism checks (no LLM).

    Args:
        world: the World the scenario is compiled into.
        principles: weights, bands and the accept threshold (default: the shipped file).
        checks: names of the checks to run (default: every principle that names a check).
        seed: compile seed; the adversary must use the same one.
        stats: precomputed `world_stats(world)`, shared with other roles.
    """

    def __init__(self, world, principles: Principles | None = None, checks: list[str] | None = None,
                 seed: int = 0, stats: WorldStats | None = None):
        self.world, self.seed = world, seed
        self.principles = principles or load_principles()
        names = checks or [p.name for p in self.principles.critic.principles if p.name in CHECKS]
        unknown = [n for n in names if n not in CHECKS]
        if unknown:
            raise KeyError(f"unknown realism check(s) {unknown} (known: {', '.join(sorted(CHECKS))})")
        self.names = names
        self.stats = stats if stats is not None else world_stats(world)

    async def review(self, scenario: Scenario) -> Review:
        return await asyncio.to_thread(self.review_now, scenario)

    def review_now(self, scenario: Scenario) -> Review:
        return self.assess(scenario)[1]

    def assess(self, scenario: Scenario) -> tuple[CompiledScenario | None, Review]:
        """The compiled scenario (None if it does not compile) and its review."""
        try:
            compiled = compile_scenario(scenario, self.world, self.seed)
        except ScenarioError as err:
            c = CheckResult(name="compiles", score=0.0, reason=str(err)[:400])
            return None, Review(scenario_id=scenario.uid, checks=[c], realism=0.0, accepted=False,
                                critiques=critiques_of([c]), summary="the scenario does not compile")
        ctx = CheckContext(scenario, compiled, self.stats, self.principles.critic.bands)
        checks = [CHECKS[n](ctx) for n in self.names]
        r = realism(checks, self.principles)
        ok = r >= self.principles.critic.accept_threshold
        worst = min(checks, key=lambda c: c.score)
        summary = (f"realism {r:.2f} ({'accepted' if ok else 'rejected'}); "
                   f"weakest: {worst.name} ({worst.score:.2f})")
        return compiled, Review(scenario_id=scenario.uid, checks=checks, realism=round(r, 6), accepted=ok,
                                critiques=critiques_of(checks), summary=summary)


__all__ = ["ChecksCritic", "critiques_of", "realism"]
