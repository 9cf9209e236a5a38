"""Does procedural evolution find laundering the detector misses without laundering less?

A (mu + lambda) search with the procedural roles against a fixed GINe detector, blending in
as the loop does by default (`agents.blend_in`; ``--no-blend-in`` for the loop without it). The
population is niched as the run's archive is: by seeded typology and volume band (the log
bin of funds integrated), so a child competes only with members of its own typology and
band, and large and small operations never compete. Children enter only if the critic
accepts them (realism, the laundering-purpose gate and the robustness gate); survivors are
ranked by the judge's utility (realism and money-weighted evasion, `agents/principles.toml`).
Steered operator choice (by what the
adversary flagged and the critic objected to) is compared with uniform choice.

The critic consults a realism discriminator (`detectors.discriminator`, as a run does): fitted
on baseline typology instances, refitted every ``--refit-every`` generations on those plus the
children seen so far, so a scenario must evade the detector and the discriminator both.
At the end a C2ST (`experiments.effect.realism`) judges realism without the loop: the seeds
and the final populations, compiled into the third World, against matched legitimate
accounts there (AUC 0.5 = indistinguishable), with the leak check's first split and the AUC
within each typology family; and, as the reference to read it against, the same C2ST on the
third World's own legitimate typologies (payroll fan-out, trade, remittances, ...) against
their profile's peers.

Printed per generation, for the population:
- in-loop evasion: the adversary's transaction-share score (mean over scenarios);
- money-weighted evasion, funds-weighted over scenarios: transactions (undetected
  laundered value / laundered value) and cases (funds of cases with no alert at all);
- the median funds integrated (US dollars);
- the seeded typologies still present, and the entropy (bits) of the typologies;
- the share that is robust on held-out settings: it compiles under 5 compile seeds and in
  a third World that neither the critic nor the evolver ever used.

    python -m experiments.bench.evolution [--accounts 20000] [--generations 8] [--seeds 3] [--uniform]
        [--no-blend-in]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agents import AgentsConfig
from agents.models import Brief, Candidate
from agents.principles import DiscriminatorGate, load_principles, utility
from agents.procedural import (
    ChecksCritic,
    DetectorAdversary,
    OperatorEvolver,
    TemplatePlanner,
    world_stats,
)
from detectors import from_ledger, make, temporal_split
from detectors.discriminator import RealismDiscriminator
from experiments.bench.realism_draws import bench_config, compiled_draw, judged_over_draws, ledger_window
from experiments.effect.realism import c2st, c2st_sized, legit_reference, placebo_text
from graph_schema.baseline import inject_baseline, sample_baseline
from graph_schema.compiler import compile_scenario
from graph_schema.enums import Typology
from graph_schema.errors import ScenarioError
from graph_schema.formats import write_text_atomic
from graph_schema.world import generate_world, legit_participants, second_world
from orchestrator.engine import Archive, ArchiveConfig, entropy, funds_weighted

SEED_TYPOLOGIES = [
    Typology.FAN_OUT,
    Typology.FAN_IN,
    Typology.STACK,
    Typology.MULE_NETWORK,
    Typology.SCATTER_GATHER,
    Typology.SHELL_LAYERING,
    Typology.CYCLE,
    Typology.BIPARTITE,
]
HELD_OUT_SEEDS = range(100, 105)


@dataclass
class Member:
    niche: tuple[Typology, str]  # (seeded typology, volume band)
    c: Candidate


def robust(s, world, third) -> bool:
    """Compiles under the held-out compile seeds in World A and in a third World."""
    try:
        for k in HELD_OUT_SEEDS:
            compile_scenario(s, world, k)
        compile_scenario(s, third, 0)
    except ScenarioError:
        return False
    return True


def metrics(pop: list[Member], world, third) -> dict:
    reps = [m.c.report for m in pop]
    funds = [r.funds_integrated for r in reps]
    typ = [m.c.scenario.primary_typology.value for m in pop]
    return {
        "evasion": float(np.mean([r.evasion for r in reps])),
        "value": funds_weighted([r.evaded_value_share for r in reps], funds),
        "case": funds_weighted([r.case_evaded_share for r in reps], funds),
        "funds": float(np.median(funds)),
        "families": len({m.niche[0] for m in pop if m.c.scenario.primary_typology is m.niche[0]}),
        "entropy": entropy(typ),
        "robust": float(np.mean([robust(m.c.scenario, world, third) for m in pop])),
    }


def weighted(principles, discriminator_weight: float | None, evasion_measure: str | None = None,
             volume_ratio: float | None = None, gate: tuple[float, float, int] | None = None):
    """``principles`` with the judge's discriminator weight and evasion measure and the
    critic's volume gate and realism gate (max_p, start_p, rounds) replaced (None keeps them)."""
    update = {k: v for k, v in (("discriminator_weight", discriminator_weight),
                                ("evasion_measure", evasion_measure)) if v is not None}
    critic = principles.critic
    if volume_ratio is not None:
        critic = critic.model_copy(update={"volume_ratio": volume_ratio})
    if gate is not None:
        critic = critic.model_copy(update={"discriminator_gate": DiscriminatorGate(
            max_p=gate[0], start_p=gate[1], rounds=gate[2])})
    judge = principles.judge.model_copy(update=update)
    return principles.model_copy(update={"judge": judge, "critic": critic})


def evolve_population(
    world, second, third, stats, adversary, generations: int, seed: int = 0, steering: bool = True,
    per_niche: int = 2, children: int = 8, templates: list | None = None, refit_every: int = 1,
    principles=None, fit_capacity: bool = False, blend_in: bool = False,
) -> tuple[list[dict], list[Member], list[Member]]:
    """The population's metrics after each generation (index 0: the seeds), the seeds and the
    final population. With ``templates`` (compiled baseline instances) the critic consults a
    realism discriminator fitted on them, refitted every ``refit_every`` generations on them
    plus the children seen so far. ``principles``: default the shipped ones (see `weighted`)."""
    bands = Archive(ArchiveConfig())
    planner = TemplatePlanner(world, seed=seed, fit_capacity=fit_capacity, blend_in=blend_in)
    disc = RealismDiscriminator(world, seed=seed).fit(templates) if templates else None
    principles = principles or load_principles()
    critic = ChecksCritic(world, principles, stats=stats, second=second, discriminator=disc)
    evolver = OperatorEvolver(world, seed=seed, steering=steering, compound_rate=AgentsConfig().compound_rate,
                              blend_in=blend_in)
    seen: list = []

    def evaluate(s) -> Candidate:
        compiled, review = critic.assess(s)
        if compiled is not None:
            seen.append(compiled)
        return Candidate(scenario=s, review=review, report=adversary.evaluate_now(s))

    def rank(m: Member) -> tuple:
        return (not m.c.review.accepted, -utility(m.c, principles), m.c.scenario.uid)

    pop = []
    for t in SEED_TYPOLOGIES:
        for k in range(per_niche):
            c = evaluate(asyncio.run(planner.plan(Brief(typology=t, complexity=2), k)))
            pop.append(Member((t, bands.band_of(c.report)), c))
    niches = sorted({m.niche for m in pop})
    history, first = [metrics(pop, world, third)], list(pop)
    for g in range(generations):
        if disc is not None and g and refit_every and g % refit_every == 0:
            disc.fit(templates + seen[-300:])
            disc.fitted_after = g - 1  # as a run's refit after round g - 1 (the realism gate's clock)
        kids = []
        for i, m in enumerate(pop):
            for child in evolver.evolve_now([m.c], children, sample=g * 1000 + i):
                c = evaluate(child.scenario)
                niche = (m.niche[0], bands.band_of(c.report))
                if c.review.accepted and niche in niches:
                    kids.append(Member(niche, c))
        survivors = []
        for n in niches:
            survivors += sorted([m for m in pop + kids if m.niche == n], key=rank)[:per_niche]
        pop = survivors
        history.append(metrics(pop, world, third))
    return history, first, pop


def scenarios_of(pops: list[list[Member]]) -> list:
    """The scenarios of every member of ``pops``, population by population."""
    return [m.c.scenario for pop in pops for m in pop]


def compiled_in(scenarios: list, third) -> list:
    """``scenarios`` compiled into the third World, the i-th with compile seed 500 + i (those
    that compile): `realism_draws.compiled_draw`'s draw 0."""
    return list(compiled_draw(scenarios, third, 0).values())


def realism_of(compiled: list, third, seed: int = 0) -> str:
    """The C2ST of ``compiled`` (in the third World): a line, and one by family."""
    r = c2st(third, ledger_window(third), compiled, seed=seed)
    return (f"C2ST AUC {r.auc.value:.3f} [{r.auc.low:.3f}, {r.auc.high:.3f}] over {len(compiled)} scenarios "
            f"({r.scenario_accounts} accounts, {r.matched_share:.0%} with a matched control); "
            f"{placebo_text(r)}; leak check AUC "
            f"{r.leak_auc.value:.3f}, first split `{r.leak_rule}`; one split alone: "
            + ", ".join(f"{k} {v['auc']['value']:.3f}" for k, v in r.probes.items())
            + "\n  by typology family (AUC [95% CI], n scenarios): "
            + ", ".join(f"{k} {v.value:.3f} [{v.low:.3f}, {v.high:.3f}] (n {v.n})"
                        for k, v in r.families.items()))


def sized_realism(seeds: list, final: list, third, draws: int = 5) -> str:
    """Seeds and finals at the same number of scenarios (`c2st_sized`): the C2ST's AUC rises
    with the number it learns from, so each population at its own size would not compare."""
    n = min(len(seeds), len(final))
    if n < 4:
        return "at equal size: too few scenarios"
    window = ledger_window(third)
    s, f = (c2st_sized(third, window, c, n, draws) for c in (seeds, final))
    half = c2st_sized(third, window, final, n // 2, draws)
    return (f"at equal size ({n} scenarios each, mean of {draws} draws, lowest to highest): seeds "
            f"{s.value:.3f} ({s.low:.3f} to {s.high:.3f}), finals {f.value:.3f} ({f.low:.3f} to "
            f"{f.high:.3f}); finals at {n // 2} scenarios {half.value:.3f} ({half.low:.3f} to "
            f"{half.high:.3f})")


def print_realism(seeds: list, final: list, third) -> None:
    """The C2ST of the seeds and the finals in the third World: the bench's compile draw, at
    equal size, over 3 compile draws, and the third World's legitimate typologies for reference."""
    print("\nrealism judged outside the loop (steered; scenarios compiled into the third World):")
    seeds_in, final_in = compiled_in(seeds, third), compiled_in(final, third)
    print(f"seeds (generation 0): {realism_of(seeds_in, third)}")
    print(f"final populations:    {realism_of(final_in, third)}")
    print(sized_realism(seeds_in, final_in, third))
    print("over 3 compile draws (`realism_draws`; draw 0 is the figure above):\n"
          + judged_over_draws({"seeds": seeds, "final": final}, third))
    reference = legit_reference(third, legit_participants(third.config))
    print("reference, the same C2ST on the third World's legitimate typologies against their peers: "
          + ", ".join(f"{k} {v.value:.3f} [{v.low:.3f}, {v.high:.3f}]" for k, v in reference.items()))


def print_generations(runs: dict, generations: int, seeds: int) -> None:
    """Per mode (steered, uniform), the population's metrics by generation, mean over seeds."""
    names = {"evasion": "in-loop evasion", "value": "value evasion (tx)", "case": "value evasion (case)",
             "funds": "median funds (USD)", "families": "seeded typologies", "entropy": "typology H (bits)",
             "robust": "robust share"}
    for steering, hists in runs.items():
        print(f"\n{'steered' if steering else 'uniform'}: population by generation (mean over {seeds} seeds)")
        print(f"{'generation':<22s}" + "".join(f"{g:>10d}" for g in range(generations + 1)))
        for k, name in names.items():
            row = np.mean([[h[k] for h in hist] for hist in hists], axis=0)
            fmt = "{:>10,.0f}" if k == "funds" else "{:>10.3f}"
            print(f"{name:<22s}" + "".join(fmt.format(x) for x in row))


def arguments() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=20_000)
    ap.add_argument("--generations", type=int, default=8)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--per-niche", type=int, default=2, help="Seeds per typology, and survivors per niche.")
    ap.add_argument("--children", type=int, default=8, help="Children per population member and generation.")
    ap.add_argument("--no-discriminator", action="store_true", help="No realism discriminator.")
    ap.add_argument("--refit-every", type=int, default=1, help="Generations between discriminator refits.")
    ap.add_argument("--discriminator-weight", type=float, default=None,
                    help="Utility weight of the discriminator's score (default: agents/principles.toml).")
    ap.add_argument("--evasion-measure", default=None,
                    choices=["score", "value", "case", "money", "ensemble"],
                    help="The judge's evasion measure (default: agents/principles.toml).")
    ap.add_argument("--volume-ratio", type=float, default=None,
                    help="The critic's volume gate (critic.volume_ratio; default: agents/principles.toml).")
    ap.add_argument("--realism-gate", type=float, nargs=3, default=None,
                    metavar=("MAX_P", "START_P", "ROUNDS"),
                    help="The critic's realism gate (critic.discriminator_gate): reject a child whose "
                    "accounts the discriminator tells apart with p above a bar that moves from START_P to "
                    "MAX_P over ROUNDS generations (default: agents/principles.toml).")
    ap.add_argument("--fit-capacity", action="store_true",
                    help="The planner brings its drafts' accounts within their peers' turnover "
                    "(agents.planner_fits_capacity).")
    ap.add_argument("--blend-in", action=argparse.BooleanOptionalAction, default=AgentsConfig().blend_in,
                    help="The planner fits capacity; its drafts and the evolver's children recruit every "
                    "customer account from the World, pay on the calendar and round like their payers "
                    "(agents.blend_in, on by default as in the loop; --no-blend-in: the loop without it).")
    ap.add_argument("--uniform", action="store_true", help="Also run uniform operator choice, to compare.")
    ap.add_argument("--save", type=Path, default=None,
                    help="Write the steered seeds and final populations here (scenario JSON lines).")
    return ap.parse_args()


def main() -> None:
    args = arguments()
    cfg = bench_config(args.accounts)
    t0 = time.perf_counter()
    labelled = inject_baseline(generate_world(cfg), cfg.laundering_share, cfg.seed)
    data = from_ledger(labelled.ledger, labelled.n_accounts)
    det = make("gine").fit(data, temporal_split(data))
    world = generate_world(cfg)
    # the third World is simulated in full: the C2ST needs its legitimate payments
    second, third = second_world(cfg, 1), generate_world(bench_config(args.accounts, third=True))
    adversary = DetectorAdversary(world, {"gine": det})
    stats = world_stats(world)
    templates = None if args.no_discriminator else sample_baseline(world, 10**9, 7, limit=60)
    print(f"setup (World {world.ledger.num_rows:,} tx, GINe trained): {time.perf_counter() - t0:.1f} s")
    gate = None if args.realism_gate is None else (*args.realism_gate[:2], int(args.realism_gate[2]))
    principles = weighted(load_principles(), args.discriminator_weight, args.evasion_measure,
                          args.volume_ratio, gate)
    modes = (True, False) if args.uniform else (True,)
    runs: dict[bool, list[list[dict]]] = {m: [] for m in modes}
    seeds_pop, final_pop = [], []
    for steering in modes:
        for seed in range(args.seeds):
            t = time.perf_counter()
            hist, first_pop, last_pop = evolve_population(world, second, third, stats, adversary,
                                                          args.generations, seed, steering, args.per_niche,
                                                          args.children, templates, args.refit_every,
                                                          principles, args.fit_capacity,
                                                          args.blend_in)
            if steering:
                seeds_pop.append(first_pop)
                final_pop.append(last_pop)
            runs[steering].append(hist)
            first, last = hist[0], hist[-1]
            print(f"steering={steering} seed={seed} ({time.perf_counter() - t:.1f} s): value evasion "
                  f"{first['value']:.3f} -> {last['value']:.3f}, case {first['case']:.3f} -> "
                  f"{last['case']:.3f}, "
                  f"median funds {first['funds']:,.0f} -> {last['funds']:,.0f}, typologies "
                  f"{last['families']}/8")
    print_generations(runs, args.generations, args.seeds)
    steered = runs[True]
    if args.save is not None:
        args.save.mkdir(parents=True, exist_ok=True)
        for name, pops in (("seeds", seeds_pop), ("final", final_pop)):
            lines = [s.model_dump_json() for s in scenarios_of(pops)]
            write_text_atomic(args.save / f"{name}.jsonl", "\n".join(lines) + "\n")
    print_realism(scenarios_of(seeds_pop), scenarios_of(final_pop), third)
    print("\nquality bars (steered, per seed):")
    for seed, hist in enumerate(steered):
        first, last = hist[0], hist[-1]
        print(f"seed {seed}: value evasion rise {last['value'] - first['value']:+.3f} (bar +0.4), case rise "
              f"{last['case'] - first['case']:+.3f} (bar +0.3), funds ratio "
              f"{last['funds'] / first['funds']:.2f} "
              f"(bar 0.8), seeded typologies surviving {last['families']}/8 (bar 6)")


if __name__ == "__main__":
    main()
