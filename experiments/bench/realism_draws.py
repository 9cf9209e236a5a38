"""How much of a population's C2ST is its recruitment? Saved populations judged over compile draws.

`python -m experiments.bench.evolution --save DIR` writes the steered seeds and the final
populations as scenario JSON lines, and judges each once: compiled into the third World with
compile seed 500 + i, against matched legitimate accounts. A hijacked entity is recruited at
random among its profile's accounts, so another compile seed puts the same scenarios on
other accounts, with other histories, and the C2ST moves with them. This bench judges the
saved populations over ``--draws`` compile draws (draw d compiles scenario i with seed
500 + 1000 d + i, so draw 0 is the evolution bench's own figure) and prints, per population:

- each draw's C2ST AUC (out of fold, grouped by scenario, matched controls within profile
  strata; as `experiments.effect.realism.c2st`) with its scenarios and accounts, and the mean
  over draws with the lowest and highest draw;
- how far a scenario's realism is its own: the Spearman correlation, between draws 0 and 1,
  of each scenario's mean rank among its accounts' matched peers (1: the scenario's design
  decides how well it passes; 0: which accounts it was compiled onto does). A search that
  selects scenarios by their realism in its own World can only select what the design
  decides.

    python -m experiments.bench.realism_draws DIR [--draws 3] [--accounts 20000]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from detectors.realism import rank_among
from experiments.effect.realism import c2st_scores
from graph_schema.compiler import compile_scenario, parse_scenario
from graph_schema.dsl import Scenario
from graph_schema.errors import ScenarioError
from graph_schema.world import WorldConfig, generate_world


@dataclass(frozen=True)
class Draw:
    """One compile draw of a population, judged."""

    auc: float
    scenarios: int
    accounts: int
    ranks: dict[int, float]  # scenario index -> its accounts' mean rank among their matched peers


def bench_config(accounts: int, third: bool = False) -> WorldConfig:
    """The evolution bench's World (seed 1), or with ``third`` the third World it judges realism
    in (seed 3), which the loop never touches."""
    return WorldConfig(accounts=accounts, days=10, seed=3 if third else 1, laundering_share=0.002)


def ledger_window(world) -> tuple[int, int]:
    """The span of ``world``'s ledger (epoch seconds, end exclusive): the C2ST's window."""
    ts = world.ledger.column("timestamp").to_numpy().astype("datetime64[s]").view(np.int64)
    return int(ts.min()), int(ts.max()) + 1


def compiled_draw(scenarios: list[Scenario], world, draw: int) -> dict[int, object]:
    """Scenario index -> the scenario compiled into ``world`` with seed 500 + 1000 ``draw`` + i
    (those that compile)."""
    out = {}
    for i, s in enumerate(scenarios):
        try:
            out[i] = compile_scenario(s, world, 500 + 1000 * draw + i)
        except ScenarioError:
            continue
    return out


def judge_draw(world, scenarios: list[Scenario], draw: int, k: int = 3, seed: int = 0) -> Draw:
    """The C2ST of one compile draw, and each scenario's mean rank among its peers."""
    compiled = compiled_draw(scenarios, world, draw)
    keys = list(compiled)
    u, y, p, groups, auc = c2st_scores(world, ledger_window(world), [compiled[i] for i in keys], k, seed)
    profile = u["profile"].astype(str).to_numpy()
    rank = np.full(len(y), np.nan)
    for prof in np.unique(profile):  # among its profile's controls (all, if it has none: `matched_auc`)
        mine, peers = (y == 1) & (profile == prof), p[(y == 0) & (profile == prof)]
        rank[mine] = rank_among(np.sort(peers if len(peers) else p[y == 0]), p[mine])
    ranks = {i: float(np.mean(rank[(groups == g) & (y == 1)])) for g, i in enumerate(keys)
             if ((groups == g) & (y == 1)).any()}
    return Draw(auc, len(keys), int(y.sum()), ranks)


def agreement(a: Draw, b: Draw) -> tuple[float, int]:
    """Spearman correlation of the scenarios' mean ranks in two draws, over the scenarios
    judged in both, and their number."""
    both = sorted(set(a.ranks) & set(b.ranks))
    if len(both) < 3:
        return float("nan"), len(both)
    return float(spearmanr([a.ranks[i] for i in both], [b.ranks[i] for i in both]).statistic), len(both)


def report(name: str, draws: list[Draw]) -> str:
    """One population's line: each draw, the mean and range, and the draws' agreement."""
    aucs = [d.auc for d in draws]
    each = ", ".join(f"{d.auc:.3f} ({d.scenarios} scenarios, {d.accounts} accounts)" for d in draws)
    line = (f"{name}: C2ST by compile draw {each}; mean {np.mean(aucs):.3f} "
            f"({min(aucs):.3f} to {max(aucs):.3f})")
    if len(draws) > 1:
        rho, n = agreement(draws[0], draws[1])
        line += f"; a scenario's realism in draw 0 against draw 1: Spearman {rho:.2f} (n {n})"
    return line


def judged_over_draws(populations: dict[str, list[Scenario]], world, draws: int = 3) -> str:
    """One `report` line per population, each judged over ``draws`` compile draws in ``world``."""
    return "\n".join(report(name, [judge_draw(world, s, d) for d in range(draws)])
                     for name, s in populations.items())


def load(path: Path) -> list[Scenario]:
    """The scenarios of a JSON-lines file.

    Raises:
        ScenarioError: a line is not a scenario; the path names the file and the line.
    """
    out = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip():
            try:
                out.append(parse_scenario(line))
            except ScenarioError as err:
                raise ScenarioError(f"{path}:{n}: {err.path}", err.rule) from None
    return out


def fail(message: str) -> None:
    """One line on stderr, exit code 2."""
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", type=Path, help="A directory `evolution --save` wrote (seeds.jsonl, final.jsonl).")
    ap.add_argument("--draws", type=int, default=3, help="Compile draws per population (at least 1).")
    ap.add_argument("--accounts", type=int, default=20_000, help="The evolution bench's --accounts.")
    args = ap.parse_args()
    if args.draws < 1:
        ap.error("--draws must be at least 1")
    pops = {n: args.dir / f"{n}.jsonl" for n in ("seeds", "final")}
    missing = [str(p) for p in pops.values() if not p.is_file()]
    if missing:
        fail(f"{missing[0]}: no such file (`experiments.bench.evolution --save {args.dir}` writes it)")
    try:
        populations = {n: load(p) for n, p in pops.items()}
    except ScenarioError as err:
        fail(str(err))
    t0 = time.perf_counter()
    third = generate_world(bench_config(args.accounts, third=True))
    lines = judged_over_draws(populations, third, args.draws)
    print(f"judged in the third World ({third.ledger.num_rows:,} tx) in {time.perf_counter() - t0:.0f} s")
    print(lines)


if __name__ == "__main__":
    main()
