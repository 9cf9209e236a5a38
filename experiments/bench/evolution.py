"""Does procedural evolution find scenarios the detector misses, and does steering help?

A (mu + lambda) search with the procedural roles against a fixed GINe detector: the
population survives by the judge's utility (realism gate, then realism and evasion), and
the mean evasion of the population is printed per generation, steered (operators chosen
by what the adversary flagged and the critic objected to) against unsteered (uniform).

    python -m experiments.bench.evolution [--accounts 20000] [--generations 8] [--seeds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import time

import numpy as np

from agents.models import Brief, Candidate
from agents.principles import load_principles
from agents.procedural import (
    ChecksCritic,
    DetectorAdversary,
    OperatorEvolver,
    TemplatePlanner,
    world_stats,
)
from agents.procedural.judge import utility
from detectors import from_ledger, make, temporal_split
from graph_schema.baseline import inject_baseline
from graph_schema.enums import Typology
from graph_schema.world import WorldConfig, generate_world

SEED_TYPOLOGIES = [Typology.FAN_OUT, Typology.FAN_IN, Typology.STACK, Typology.MULE_NETWORK,
                   Typology.SCATTER_GATHER, Typology.SHELL_LAYERING, Typology.CYCLE, Typology.BIPARTITE]


def evolve_population(world, stats, adversary, generations: int, seed: int = 0, steering: bool = True):
    """Returns the final population and the mean evasion after each generation (0 = seeds)."""
    planner = TemplatePlanner(world, seed=seed)
    critic = ChecksCritic(world, stats=stats)
    evolver = OperatorEvolver(world, seed=seed, steering=steering)
    principles = load_principles()
    floor = principles.judge.realism_floor

    def evaluate(s):
        return Candidate(scenario=s, review=critic.review_now(s), report=adversary.evaluate_now(s))

    pop = [evaluate(asyncio.run(planner.plan(Brief(typology=t, complexity=2), 0))) for t in SEED_TYPOLOGIES]
    history = [float(np.mean([c.report.evasion for c in pop]))]
    for g in range(generations):
        kids = [evaluate(k.scenario) for k in evolver.evolve_now(pop, len(pop), sample=g)]
        ranked = sorted(pop + kids, key=lambda c: -utility(c, principles) if c.review.realism >= floor else 1.0)
        pop = ranked[:len(pop)]
        history.append(float(np.mean([c.report.evasion for c in pop])))
    return pop, history


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=20_000)
    ap.add_argument("--generations", type=int, default=8)
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args()
    cfg = WorldConfig(accounts=args.accounts, days=10, seed=1, laundering_share=0.002)
    t0 = time.perf_counter()
    labelled = inject_baseline(generate_world(cfg), cfg.laundering_share, cfg.seed)
    data = from_ledger(labelled.ledger, labelled.n_accounts)
    det = make("gine").fit(data, temporal_split(data))
    world = generate_world(cfg)
    adversary = DetectorAdversary(world, {"gine": det})
    stats = world_stats(world)
    print(f"setup (World {world.ledger.num_rows:,} tx, GINe trained): {time.perf_counter() - t0:.1f} s")
    curves = {}
    for steering in (True, False):
        runs = []
        for seed in range(args.seeds):
            t = time.perf_counter()
            pop, hist = evolve_population(world, stats, adversary, args.generations, seed, steering)
            runs.append(hist)
            print(f"steering={steering} seed={seed}: {' '.join(f'{h:.3f}' for h in hist)} "
                  f"({time.perf_counter() - t:.1f} s, realism {np.mean([c.review.realism for c in pop]):.2f})")
        curves[steering] = np.mean(runs, axis=0)
    print("\nmean evasion of the population by generation (mean over seeds)")
    print("generation " + " ".join(f"{g:>6d}" for g in range(args.generations + 1)))
    for steering, curve in curves.items():
        print(f"{'steered' if steering else 'uniform':<10s} " + " ".join(f"{x:6.3f}" for x in curve))


if __name__ == "__main__":
    main()
