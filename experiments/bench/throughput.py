"""Candidates fully evaluated per minute (planner or evolver, critic, adversary, then the
tournament) on a 1M-transaction World with procedural roles, for 1 and 2 Ray actors per role.

    python -m experiments.bench.throughput [--accounts 100000] [--rounds 2] [--population 48]

Setup (World generation, detector training, actor start) is timed apart from the rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from orchestrator.engine import RunConfig, execute, open_run


def measure(accounts: int, rounds: int, population: int, actors: int, world_path: Path | None) -> dict:
    cfg = RunConfig.model_validate(
        {
            "name": f"bench-{actors}",
            "seed": 1,
            "population": population,
            "debate_turns": 1,
            "concurrency": 8,
            "evolve_share": 0.5,
            "world": {"path": str(world_path)}
            if world_path
            else {"generate": {"accounts": accounts, "days": 10, "seed": 1}},
            "detectors": {"names": ["gine"], "training_share": 0.002, "overrides": {"gine": {"epochs": 8}}},
            "actors": {r: actors for r in ("planner", "critic", "adversary", "evolver", "judge")},
            "budgets": {"rounds": rounds},
        }
    )
    run_dir = Path(tempfile.mkdtemp(prefix="rl-bench-"))
    store, cfg = open_run(run_dir, cfg)
    t0 = time.perf_counter()
    asyncio.run(execute(run_dir, store, cfg))
    total = time.perf_counter() - t0
    seconds = sum(r["seconds"] for r in store.rounds())
    evaluated = store.evaluated_count()
    store.close()
    return {
        "actors": actors,
        "evaluated": evaluated,
        "round_s": seconds,
        "total_s": total,
        "per_min": 60 * evaluated / seconds,
        "run_dir": run_dir,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--population", type=int, default=48)
    args = ap.parse_args()
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    first = measure(args.accounts, args.rounds, args.population, 1, None)
    from graph_schema.formats import read_world

    world = first["run_dir"] / "world"
    n_tx = read_world(world).ledger.num_rows
    second = measure(args.accounts, args.rounds, args.population, 2, world)
    print(f"\nWorld: {n_tx:,} transactions; {args.rounds} rounds x {args.population} debates of one turn")
    print("actors/role  evaluated  round time  setup+rounds  candidates/min")
    for r in (first, second):
        print(
            f"{r['actors']:>11d}  {r['evaluated']:>9d}  {r['round_s']:>9.1f}s  {r['total_s']:>11.1f}s  "
            f"{r['per_min']:>14.0f}"
        )
    print(f"scaling 1 -> 2 actors per role: x{second['per_min'] / first['per_min']:.2f}")


if __name__ == "__main__":
    main()
