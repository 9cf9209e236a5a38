"""The procedural realism critic: the registered checks, weighted by the principles."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import numpy as np

from agents.base import Critic
from agents.models import CheckResult, Critique, Review
from agents.principles import DiscriminatorGate, Principles, load_principles
from agents.procedural.checks import CHECKS
from agents.procedural.context import CheckContext
from agents.procedural.giveaway import NAME as DISCRIMINATOR
from agents.procedural.stats import WorldStats, world_stats
from graph_schema.compiler import CompiledScenario, compile_scenario
from graph_schema.compiler.flows import integrated_funds
from graph_schema.dsl import Scenario
from graph_schema.errors import ScenarioError
from graph_schema.families import family_of
from graph_schema.reference import in_usd
from graph_schema.tables import PROFILES


def realism(checks: list[CheckResult], principles: Principles) -> float:
    """Weighted mean of check scores; weights from the critic principles of the same name."""
    weight = {p.name: p.weight for p in principles.critic.principles}
    num = sum(weight.get(c.name, 1.0) * c.score for c in checks)
    den = sum(weight.get(c.name, 1.0) for c in checks)
    return num / den if den else 0.0


def critiques_of(checks: list[CheckResult]) -> list[Critique]:
    """One objection per check that is not fully satisfied, most severe first."""
    out = [Critique(check=c.name, severity=round(1 - c.score, 4), text=c.reason, features=c.features)
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
        second: a second World of the same config with another seed (`second_world`), for
            the robustness gate; None skips that part of the gate.
        gate: False never rejects (the no-critic-gate ablation): realism, gates and objections
            are still measured and reported, but every review is accepted.
        discriminator: a fitted realism discriminator (`detectors.discriminator`); without
            one the `realism_discriminator` check is skipped.
        max_days: longest horizon the loop allows (`AgentsConfig.max_horizon_days`); a
            longer scenario is rejected as not compiling. None: the World's period.
    """

    def __init__(self, world, principles: Principles | None = None, checks: list[str] | None = None,
                 seed: int = 0, stats: WorldStats | None = None, second=None, gate: bool = True,
                 discriminator=None, max_days: float | None = None):
        self.world, self.seed, self.second, self.gate = world, seed, second, gate
        self.max_days = max_days
        self.discriminator = discriminator
        self.principles = principles or load_principles()
        names = checks or [p.name for p in self.principles.critic.principles if p.name in CHECKS]
        unknown = [n for n in names if n not in CHECKS]
        if unknown:
            raise KeyError(f"unknown realism check(s) {unknown} (known: {', '.join(sorted(CHECKS))})")
        self.names = names
        self.stats = stats if stats is not None else world_stats(world)

    @property
    def active(self) -> list[str]:
        """The checks run now: the discriminator's only while one is fitted."""
        d = self.discriminator
        return [n for n in self.names if n != DISCRIMINATOR or (d is not None and d.fitted)]

    async def review(self, scenario: Scenario) -> Review:
        return await asyncio.to_thread(self.review_now, scenario)

    def review_now(self, scenario: Scenario) -> Review:
        return self.assess(scenario)[1]

    def assess(self, scenario: Scenario) -> tuple[CompiledScenario | None, Review]:
        """The compiled scenario (None if it does not compile) and its review; a horizon past
        ``max_days`` counts as not compiling (the gate cannot be switched off for it)."""
        try:
            if self.max_days is not None and scenario.horizon_days > self.max_days:
                raise ScenarioError("horizon_days", f"{scenario.horizon_days:g} days is longer than the "
                                    f"loop allows ({self.max_days:g} days, agents.max_horizon_days)")
            compiled = compile_scenario(scenario, self.world, self.seed)
        except ScenarioError as err:
            c = CheckResult(name="compiles", score=0.0, reason=str(err)[:400])
            return None, Review(scenario_id=scenario.uid, checks=[c], realism=0.0, accepted=False,
                                critiques=critiques_of([c]), summary="the scenario does not compile")
        ctx = CheckContext(scenario, compiled, self.stats, self.principles.critic.bands, self.discriminator)
        checks = [CHECKS[n](ctx) for n in self.active]
        gates = [self.purpose_gate(compiled), self.robustness_gate(scenario)]
        if self.principles.critic.volume_ratio:
            gates.append(volume_gate(ctx, self.principles.critic.volume_ratio))
        told = next((c for c in checks if c.name == DISCRIMINATOR), None)
        if told is not None and self.principles.critic.discriminator_gate.enabled:
            gates.append(discriminator_gate(told, self.principles.critic.discriminator_gate,
                                            getattr(self.discriminator, "fitted_after", None)))
        return compiled, self.verdict(scenario, checks, gates)

    def verdict(self, scenario: Scenario, checks: list[CheckResult], gates: list[CheckResult],
                reviewer: str = "procedural", summary: str | None = None,
                critiques: list[Critique] | None = None) -> Review:
        """The review: realism from the checks, accepted only if it reaches the threshold and
        every gate passes; failed gates are the first objections."""
        r = realism(checks, self.principles)
        failed = [g for g in gates if g.score < 1]
        ok = (r >= self.principles.critic.accept_threshold and not failed) or not self.gate
        worst = min(checks, key=lambda c: c.score)
        if summary is None:
            summary = (
                f"realism {r:.2f} "
                f"({'accepted' if ok else 'rejected'}{'' if self.gate else ', gate off'}); "
                f"weakest: {worst.name} "
                f"({worst.score:.2f})" + "".join(f"; fails {g.name}" for g in failed)
            )
        objections = critiques_of(failed) + (critiques if critiques is not None else critiques_of(checks))
        return Review(
            scenario_id=scenario.uid,
            checks=checks,
            realism=round(r, 6),
            accepted=ok,
            gates=gates,
            critiques=objections,
            summary=summary[:600],
            reviewer=reviewer,
        )

    def purpose_gate(self, compiled: CompiledScenario) -> CheckResult:
        """The laundering purpose: enough of the placed funds arrive, and enough for the family."""
        rule = self.principles.critic.purpose
        s = compiled.scenario
        got = integrated_funds(compiled, rule.endpoint_roles, rule.exit_purposes)
        share = got / s.funds_placed
        ends = ", ".join(r.value for r in rule.endpoint_roles)
        if share < rule.min_integrated_share:
            return CheckResult(
                name="laundering_purpose",
                score=0.0,
                reason=(
                    f"only {share:.0%} of the placed funds ({got:,.0f} of {s.funds_placed:,.0f} "
                    f"{s.currency.value}) "
                    f"reach an endpoint ({ends}) or an integration exit within the horizon; at least "
                    f"{rule.min_integrated_share:.0%} must: route the money on and keep intermediaries' "
                    "cuts small"
                )[:400],
            )
        family = family_of(s.primary_typology)
        usd, floor = in_usd(got, s.currency.value), rule.funds_floor.get(family, 0.0)
        if usd < floor:
            return CheckResult(
                name="laundering_purpose",
                score=0.0,
                reason=(
                    f"integrates only {usd:,.0f} USD; the floor of the '{family}' typology family is "
                    f"{floor:,.0f} "
                    "USD: launder an amount worth the operation"
                )[:400],
            )
        return CheckResult(
            name="laundering_purpose",
            score=1.0,
            reason=(
                f"{share:.0%} of the placed funds ({usd:,.0f} USD) reach an endpoint or an integration exit"
            ),
        )

    def robustness_gate(self, scenario: Scenario) -> CheckResult:
        """The scenario compiles under more compile seeds, and in a second World."""
        rule = self.principles.critic.robustness
        tries = [
            (f"compile seed {self.seed + k}", self.world, self.seed + k) for k in range(1, rule.compile_seeds)
        ]
        if rule.second_world and self.second is not None:
            tries.append((f"a second World (seed {self.second.config.seed})", self.second, self.seed))
        for where, world, seed in tries:
            try:
                compile_scenario(scenario, world, seed)
            except ScenarioError as err:
                return CheckResult(
                    name="robustness", score=0.0, reason=f"does not compile under {where}: {err}"[:400]
                )
        return CheckResult(name="robustness", score=1.0, reason=f"compiles under {len(tries) + 1} settings")


def discriminator_gate(told: CheckResult, gate: DiscriminatorGate, fitted_after: int | None) -> CheckResult:
    """Fails when the realism discriminator's judgement ``r`` (its check scores
    ``min(1, 2 (1 - r))``: the accounts' mean rank among their matched peers, or their mean
    probability for a discriminator saved without ranks) is above the gate's bar for a
    discriminator fitted after round ``fitted_after``; the failure carries the check's reason
    and the features it names."""
    bar = gate.bar(fitted_after)
    if told.score >= 2.0 * (1.0 - bar) - 1e-9:
        return CheckResult(name="realism_gate", score=1.0,
                           reason=f"the realism discriminator's rank is at most the bar of {bar:.2f}")
    r = 1.0 - told.score / 2.0
    return CheckResult(name="realism_gate", score=0.0, features=told.features,
                       reason=f"rank {r:.2f} is above the realism gate's bar of {bar:.2f}: "
                       f"{told.reason}"[:400])


def volume_gate(ctx: CheckContext, ratio: float) -> CheckResult:
    """Every account moves at most ``ratio`` times its profile's median volume in the time
    (`CriticPrinciples.volume_ratio`): an account that turns over many times what its peers
    do is told apart by volume alone, whatever its amounts and hours look like."""
    moved_in: dict[str, float] = defaultdict(float)
    moved_out: dict[str, float] = defaultdict(float)
    for r in range(len(ctx.usd)):
        moved_out[ctx.row_src[r]] += ctx.usd[r]
        moved_in[ctx.row_dst[r]] += ctx.usd[r]
    months = max(ctx.scenario.horizon_days / 30, 1.0)
    over = []
    for e, p in sorted(ctx.entity_profile.items()):
        typical = ctx.stats.monthly_volume[p]
        moved = max(moved_in.get(e, 0.0), moved_out.get(e, 0.0))
        if np.isfinite(typical) and moved > ratio * months * max(typical, 1.0):
            over.append(f"'{e}' moves {moved:,.0f} USD, {moved / (months * max(typical, 1.0)):.1f}x a "
                        f"{PROFILES[p]} account's monthly volume (the gate allows {ratio:g}x)")
    if over:
        return CheckResult(name="volume", score=0.0, reason="; ".join(over[:3])[:400])
    return CheckResult(name="volume", score=1.0, reason=f"every account within {ratio:g}x its peers' volume")


__all__ = ["ChecksCritic", "critiques_of", "discriminator_gate", "realism", "volume_gate"]
