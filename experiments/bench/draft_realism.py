"""How far the planner's drafts are from their accounts' peers, and how that figure depends on
the number of scenarios it is measured on.

The evolution bench's seeds without the evolution: the procedural planner drafts 2 scenarios
of each of its 8 seed typologies per planner seed in the bench's World (20,000 accounts, 10
days, seed 1), as capacity-fitted and blended drafts (`agents.blend_in`) unless told
otherwise; the drafts are compiled into the third World (seed 3), which the planner never
saw, and judged by the C2ST of `experiments.effect.realism` against matched legitimate
accounts there. With 3 planner seeds the drafts are exactly the evolution bench's seeds.

Then the C2ST's learning curve: its AUC at each of ``--sizes`` scenarios (`c2st_sized`, mean
of ``--draws`` random draws). The discriminator learns more from more operations, so one and
the same generator scores higher on more scenarios: populations compare only at one size.

    python -m experiments.bench.draft_realism [--seeds 8] [--plain | --fit-capacity | --rides]
        [--sizes 24,47,80]
"""

from __future__ import annotations

import argparse
import asyncio
import time

from agents.models import Brief
from agents.procedural import TemplatePlanner
from experiments.bench.evolution import SEED_TYPOLOGIES, compiled_in
from experiments.bench.realism_draws import bench_config, ledger_window
from experiments.effect.realism import c2st, c2st_sized, placebo_text
from graph_schema.world import generate_world


def drafts(world, seeds: int, fit_capacity: bool, blend_in: bool, per_typology: int = 2,
           commingle: bool = False) -> list:
    """The planner's drafts: ``per_typology`` per seed typology and planner seed."""
    out = []
    for seed in range(seeds):
        planner = TemplatePlanner(world, seed=seed, fit_capacity=fit_capacity, blend_in=blend_in,
                                  commingle=commingle)
        out += [asyncio.run(planner.plan(Brief(typology=t, complexity=2), k))
                for t in SEED_TYPOLOGIES for k in range(per_typology)]
    return out


def arguments() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=20_000)
    ap.add_argument("--seeds", type=int, default=8, help="Planner seeds (3: the evolution bench's seeds).")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--plain", action="store_true", help="Template drafts as they are.")
    mode.add_argument("--fit-capacity", action="store_true", help="Capacity-fitted drafts, not blended.")
    ap.add_argument("--rides", action="store_true",
                    help="Blended drafts whose customer-to-customer transfers ride their payers' own "
                    "payments (TemplatePlanner's commingle).")
    ap.add_argument("--sizes", default="24,47,80", help="Numbers of scenarios for the learning curve.")
    ap.add_argument("--draws", type=int, default=5, help="Random draws per number of scenarios.")
    return ap.parse_args()


def main() -> None:
    args = arguments()
    t0 = time.perf_counter()
    world = generate_world(bench_config(args.accounts))
    third = generate_world(bench_config(args.accounts, third=True))
    blend = not (args.plain or args.fit_capacity)
    scenarios = drafts(world, args.seeds, args.fit_capacity or blend, blend, commingle=blend and args.rides)
    compiled = compiled_in(scenarios, third)
    failed = len(scenarios) - len(compiled)
    opened = sum(1 for c in compiled for a in c.entity_accounts.values() if a < 0)
    window = ledger_window(third)
    r = c2st(third, window, compiled)
    mode = ("blended and riding" if args.rides else "blended") if blend else \
        "capacity-fitted" if args.fit_capacity else "template"
    print(f"{mode} drafts of {args.seeds} planner seeds: {len(scenarios)} drafted, {failed} do not compile "
          f"into the third World; {r.scenario_accounts} scenario accounts, {opened} of them opened "
          f"({r.matched_share:.0%} with a matched control); {time.perf_counter() - t0:.0f} s")
    print(f"  {placebo_text(r)}")
    print("  by typology family: " + ", ".join(f"{k} {v.value:.3f} [{v.low:.3f}, {v.high:.3f}] (n {v.n})"
                                             for k, v in r.families.items()))
    print(f"  leak check AUC {r.leak_auc.value:.3f}, first split `{r.leak_rule}`; one split alone: "
          + ", ".join(f"{k} {v['auc']['value']:.3f}" for k, v in r.probes.items()))
    curve = []
    for n in sorted({int(x) for x in args.sizes.split(",") if 2 <= int(x) < len(compiled)}):
        e = c2st_sized(third, window, compiled, n, args.draws)
        curve.append(f"{n}: {e.value:.3f} ({e.low:.3f} to {e.high:.3f})")
    print(f"C2ST AUC at each number of scenarios (mean of {args.draws} draws, lowest to highest): "
          + "; ".join(curve))
    print(f"C2ST AUC on all {len(compiled)} scenarios: {r.auc.value:.3f} [{r.auc.low:.3f}, {r.auc.high:.3f}]")


if __name__ == "__main__":
    main()
