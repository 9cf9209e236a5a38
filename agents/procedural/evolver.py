"""The procedural evolver: steered mutation operators and crossover on the DSL (no LLM).

For each child it picks an operator with probability proportional to its steering
weight (what the adversary flagged and the critic objected to), applies it to a copy of
the parent document, and keeps the child only if it validates and compiles. Children
record their parents, operator, generation, and what the change answers.
"""

from __future__ import annotations

import asyncio
import copy
import zlib

import numpy as np

from agents.base import Evolver
from agents.models import Candidate, Offspring
from agents.procedural.blend_ops import BLEND_UNDOES, blend_draft, world_room
from agents.procedural.operators import OPERATORS, OpContext, crossover
from agents.procedural.steering import steer
from graph_schema.compiler import compile_scenario, parse_scenario
from graph_schema.compiler.flows import timing_bound_hours
from graph_schema.dsl import Lineage, Scenario
from graph_schema.errors import ScenarioError


def fit_timing(s: Scenario, max_days: float, slack: float, fixed_aware: bool = False) -> Scenario | None:
    """Keep the scenario's delays inside its horizon, with slack, and the horizon inside
    ``max_days`` (the World's period, or the loop's `max_horizon_days`).

    The horizon becomes at least the timing's high quantile (`timing_bound_hours`) plus
    ``slack`` of it, and at most ``max_days``; where the timing needs more than
    ``max_days``, every delay and gap is scaled down to fit instead. None if even that
    cannot fit. The scale treats the whole bound as delays and gaps; ``fixed_aware`` scales
    only the part they make, not what no scaling shortens (a calendar chain's stretch of
    `CALENDAR_STRETCH_H`), so that a calendar-timed scenario fits where it can.
    """
    need_days = timing_bound_hours(s) * (1 + slack) / 24
    if need_days <= max_days:
        horizon = min(max(s.horizon_days, round(need_days, 3)), max_days)
        return s if horizon == s.horizon_days else s.model_copy(update={"horizon_days": horizon})
    f = max_days / need_days * 0.98
    if fixed_aware:
        fixed_days = timing_bound_hours(_scaled(s, 0.0, max_days)) * (1 + slack) / 24
        if fixed_days >= max_days:
            return None
        f = (max_days - fixed_days) / (need_days - fixed_days) * 0.98
    fitted = _scaled(s, f, max_days)
    return fitted if timing_bound_hours(fitted) * (1 + slack) / 24 <= max_days else None


def _scaled(s: Scenario, f: float, horizon: float) -> Scenario:
    """``s`` with every delay and gap scaled by ``f`` and a horizon of ``horizon`` days."""
    doc = s.model_dump(mode="json")
    for t in doc["transfers"]:
        for key in ("delay", "every"):
            d = t["timing"].get(key)
            if d:
                d["low"], d["high"] = d["low"] * f, d["high"] * f
    doc["horizon_days"] = float(horizon)
    return parse_scenario(doc)


class OperatorEvolver(Evolver):
    """Parents -> children through the operator registry.

    Args:
        world: children must compile in it (if given).
        operators: operator names to use (default: all registered).
        crossover_rate: chance that a child with two or more parents available is a crossover.
        steering: False draws operators uniformly (the unsteered ablation).
        seed: base seed; children depend on (seed, parents, sample) only.
        tries: operators tried per child before giving up on it.
        slack: share of the horizon kept free beyond the timing's high quantile, so that a
            child compiles under other seeds and in other Worlds too (see `fit_timing`).
        compound_rate: chance that a mutated child gets a second, different operator on top
            (its operator is then named ``first+second``).
        max_days: longest horizon a child may have (None: the World's period).
        blend_in: every child recruits its customer accounts from the World instead of
            opening them, and pays on the calendar (`blend_ops.blend_draft`), as the planner's
            blended drafts do; the operators that would add nothing to it
            (`blend_ops.BLEND_UNDOES`) are left out.
    """

    def __init__(self, world=None, operators: list[str] | None = None, crossover_rate: float = 0.2,
                 steering: bool = True, seed: int = 0, tries: int = 6, slack: float = 0.1,
                 compound_rate: float = 0.0, max_days: float | None = None, blend_in: bool = False):
        names = operators or sorted(OPERATORS)
        if blend_in:
            names = [n for n in names if n not in BLEND_UNDOES] or names
        unknown = [n for n in names if n not in OPERATORS]
        if unknown:
            raise KeyError(f"unknown mutation operator(s) {unknown} (known: {', '.join(sorted(OPERATORS))})")
        self.world, self.names, self.crossover_rate = world, names, crossover_rate
        self.steering, self.seed, self.tries, self.slack = steering, seed, tries, slack
        self.compound_rate = compound_rate
        self.blend_in, self.room = blend_in, world_room(world) if blend_in and world is not None else None
        self.max_days = min(float(world.config.days) if world is not None else 365.0, max_days or 365.0)

    async def evolve(self, parents: list[Candidate], n: int, sample: int = 0) -> list[Offspring]:
        return await asyncio.to_thread(self.evolve_now, parents, n, sample)

    def evolve_now(self, parents: list[Candidate], n: int, sample: int = 0) -> list[Offspring]:
        if not parents:
            return []
        key = zlib.crc32("".join(p.scenario.uid for p in parents).encode())
        rng = np.random.default_rng([self.seed, key, sample])
        out: list[Offspring] = []
        seen = {p.scenario.uid for p in parents}
        for k in range(n * 3):
            if len(out) >= n:
                break
            if len(parents) >= 2 and rng.random() < self.crossover_rate:
                i, j = rng.choice(len(parents), size=2, replace=False)
                child = self._cross(parents[int(i)], parents[int(j)], rng)
            else:
                child = self._mutate(parents[k % len(parents)], rng)
            if child is not None and child.scenario.uid not in seen:
                seen.add(child.scenario.uid)
                out.append(child)
        return out

    def _valid(self, doc: dict, lineage: Lineage) -> Scenario | None:
        if self.blend_in:
            doc = blend_draft(doc, OpContext(max_days=self.max_days), self.room)
        try:
            s = fit_timing(parse_scenario({**doc, "lineage": lineage.model_dump(mode="json")}),
                           self.max_days, self.slack, fixed_aware=self.blend_in)
            if s is None:
                return None
            if self.world is not None:
                compile_scenario(s, self.world, seed=0)
            return s
        except ScenarioError:
            return None

    def _mutate(self, p: Candidate, rng) -> Offspring | None:
        weights, answers = steer(p, self.names) if self.steering else ({n: 1.0 for n in self.names}, {})
        ctx = OpContext(report=p.report, review=p.review, max_days=self.max_days)
        names = list(weights)
        w = np.array([weights[x] for x in names], dtype=float)
        for _ in range(self.tries):
            op = names[int(rng.choice(len(names), p=w / w.sum()))]
            doc = OPERATORS[op](copy.deepcopy(p.scenario.model_dump(mode="json")), rng, ctx)
            s = self._valid(doc, self._lineage(p, op)) if doc is not None else None
            if s is not None:
                ops = [op]
                if rng.random() < self.compound_rate:  # a second, different change on top
                    w2 = w.copy()
                    w2[names.index(op)] = 0.0
                    if w2.sum() > 0:
                        op2 = names[int(rng.choice(len(names), p=w2 / w2.sum()))]
                        # on the validated child: every operator sees a whole document
                        doc2 = OPERATORS[op2](s.model_dump(mode="json"), rng, ctx)
                        s2 = self._valid(doc2, self._lineage(p, f"{op}+{op2}")) if doc2 is not None else None
                        if s2 is not None:
                            s, ops = s2, [op, op2]
                return Offspring(scenario=s, operator="+".join(ops),
                                 answers=[a for o in ops for a in answers.get(o, [])][:5])
            w[names.index(op)] = 0.0  # this operator does not apply here; try another
            if w.sum() == 0:
                return None
        return None

    @staticmethod
    def _lineage(p: Candidate, op: str) -> Lineage:
        return Lineage(parents=[p.scenario.uid], operator=op, generation=p.scenario.lineage.generation + 1)

    def _cross(self, a: Candidate, b: Candidate, rng) -> Offspring | None:
        for _ in range(self.tries):
            doc = crossover(a.scenario.model_dump(mode="json"), b.scenario.model_dump(mode="json"), rng)
            if doc is None:
                return None
            lineage = Lineage(parents=[a.scenario.uid, b.scenario.uid], operator="crossover",
                              generation=max(a.scenario.lineage.generation,
                                             b.scenario.lineage.generation) + 1)
            s = self._valid(doc, lineage)
            if s is not None:
                return Offspring(
                    scenario=s,
                    operator="crossover",
                    answers=[f"combines '{a.scenario.name}' with '{b.scenario.name}'"],
                )
        return None


__all__ = ["OperatorEvolver", "fit_timing"]
