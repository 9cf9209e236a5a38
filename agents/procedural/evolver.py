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
from agents.procedural.operators import OPERATORS, OpContext, crossover
from agents.procedural.steering import steer
from graph_schema.compiler import compile_scenario, parse_scenario
from graph_schema.dsl import Lineage, Scenario
from graph_schema.errors import ScenarioError


class OperatorEvolver(Evolver):
    """Parents -> children through the operator registry.

    Args:
        world: children must compile in it (if given).
        operators: operator names to use (default: all registered).
        crossover_rate: chance that a child with two or more parents available is a crossover.
        steering: False draws operators uniformly (the unsteered ablation).
        seed: base seed; children depend on (seed, parents, sample) only.
        tries: operators tried per child before giving up on it.
    """

    def __init__(self, world=None, operators: list[str] | None = None, crossover_rate: float = 0.2,
                 steering: bool = True, seed: int = 0, tries: int = 6):
        names = operators or sorted(OPERATORS)
        unknown = [n for n in names if n not in OPERATORS]
        if unknown:
            raise KeyError(f"unknown mutation operator(s) {unknown} (known: {', '.join(sorted(OPERATORS))})")
        self.world, self.names, self.crossover_rate = world, names, crossover_rate
        self.steering, self.seed, self.tries = steering, seed, tries
        self.max_days = float(world.config.days) if world is not None else 365.0

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
        try:
            s = parse_scenario({**doc, "lineage": lineage.model_dump(mode="json")})
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
            lineage = Lineage(parents=[p.scenario.uid], operator=op,
                              generation=p.scenario.lineage.generation + 1)
            s = self._valid(doc, lineage) if doc is not None else None
            if s is not None:
                return Offspring(scenario=s, operator=op, answers=answers.get(op, [])[:5])
            w[names.index(op)] = 0.0  # this operator does not apply here; try another
            if w.sum() == 0:
                return None
        return None

    def _cross(self, a: Candidate, b: Candidate, rng) -> Offspring | None:
        for _ in range(self.tries):
            doc = crossover(a.scenario.model_dump(mode="json"), b.scenario.model_dump(mode="json"), rng)
            if doc is None:
                return None
            lineage = Lineage(parents=[a.scenario.uid, b.scenario.uid], operator="crossover",
                              generation=max(a.scenario.lineage.generation, b.scenario.lineage.generation) + 1)
            s = self._valid(doc, lineage)
            if s is not None:
                return Offspring(scenario=s, operator="crossover",
                                 answers=[f"combines '{a.scenario.name}' with '{b.scenario.name}'"])
        return None


__all__ = ["OperatorEvolver"]
