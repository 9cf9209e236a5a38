"""`write_report`: one self-contained HTML file (inline images, no network) for a run."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
from jinja2 import select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from graph_schema.compiler import compile_those_that_fit
from graph_schema.formats import read_world_stub, write_text_atomic
from graph_schema.novelty import novelty
from graph_schema.typologies import library
from orchestrator.engine import InspectError, RunLayout, RunView
from orchestrator.report.charts import flow_drawing, heatmap, progress_chart

_ENV = SandboxedEnvironment(autoescape=select_autoescape(default=True))


def recall_per_round(v: RunView, rounds: list[dict]) -> list[float]:
    """Per round: share of the archive's transactions its detectors alert, averaged over elites."""
    out = []
    for r in rounds:
        vals = [1 - e.evaded_share for e in v.store.archive_evaluations(r["round"], r["detector_version"])]
        out.append(float(np.mean(vals)) if vals else 0.0)
    return out


def archive_novelty(v: RunView, run_dir: Path, per_template: int = 2) -> str:
    """How far the final archive's money-flow graphs are from the nearest baseline-template
    instance (Weisfeiler-Lehman distance, `graph_schema.novelty`), as one line; the
    templates are drawn with the run's seed and everything is compiled into the run's World."""
    world = read_world_stub(RunLayout.of(run_dir, v.cfg).world)
    rng, lib = np.random.default_rng([v.cfg.seed, 17]), library()
    refs = [lib[n].sample(rng) for n in sorted(lib) for _ in range(per_template)]
    elites = [v.store.scenario(r["scenario_id"]) for r in v.archive()]
    seed = v.cfg.agents.compile_seed
    mine = compile_those_that_fit(elites, world, seed)
    if not mine:
        return "no elite compiles"
    s = novelty(mine, compile_those_that_fit(refs, world, seed)).summary()
    t = s["to_reference"]
    return (f"{t['mean']:.3f} [{t['low']:.3f}, {t['high']:.3f}] over {s['n']} elites "
            f"(0 = a template's shape); mean pairwise {s['pairwise']:.3f}")


def write_report(run_dir: Path, out: Path, top_n: int = 5, cell: str | None = None,
                 band: str | None = None) -> Path:
    """The report; its top table only holds elites of ``cell`` or of volume ``band`` if given.

    Raises: InspectError (no run, or no closed round).
    """
    v = RunView.open(run_dir)
    try:
        rounds = v.rounds()
        if not rounds:
            raise InspectError(f"{run_dir}: no round has closed yet; nothing to report")
        counts = v.store.counts()
        summary = [("run directory", str(run_dir)), ("status", v.store.get_meta("status")),
                   ("config hash", v.cfg.digest()), ("seed", v.cfg.seed),
                   ("rounds", f"{len(rounds)} of {v.cfg.budgets.rounds}"),
                   ("roles", ", ".join(f"{r}={getattr(v.cfg.agents, r).mode}" for r in
                                       ("planner", "critic", "adversary", "evolver", "judge"))),
                   ("detectors", ", ".join(v.cfg.detectors.names)
                    + f" (versions: {rounds[-1]['detector_version'] + 1})"),
                   ("debates", counts["debates"]), ("scenarios", counts["scenarios"]),
                   ("matches", counts["matches"]),
                   ("failures", counts["failures"]), ("tokens spent", f"{rounds[-1]['tokens']:,}"),
                   ("archive coverage", f"{rounds[-1]['coverage']:.1%}"),
                   ("QD-score", f"{rounds[-1]['qd_score']:.2f}"),
                   ("best Elo", f"{rounds[-1]['best_elo']:.0f}"),
                   ("typology families in the archive", rounds[-1]["families"]),
                   ("typology entropy (bits)", f"{rounds[-1]['typology_entropy']:.2f}"),
                   ("mean structural distance", f"{rounds[-1]['structural_distance']:.3f}"),
                   ("novelty: distance to the nearest template", archive_novelty(v, run_dir)),
                   ("funds-weighted evasion: transactions / cases",
                    f"{rounds[-1]['value_evasion']:.2f} / {rounds[-1]['case_evasion']:.2f}"),
                   ("median funds integrated (USD)", f"{rounds[-1]['median_funds']:,.0f}"),
                   ("contrastive filter: kept / dropped (all rounds)",
                    f"{sum(r['filter_kept'] for r in rounds)} / {sum(r['filter_dropped'] for r in rounds)}"
                    + ("" if v.cfg.contrastive.enabled else " (filter off)"))]
        top = []
        for r in v.top(top_n, cell=cell, band=band):
            s = v.store.scenario(r["scenario_id"])
            d = v.store.debates_with(r["scenario_id"])[:1]
            turns = v.store.turns(d[0]) if d else []
            top.append({"id": r["scenario_id"], "name": s.name, "typology": r["typology"], "elo": r["elo"],
                        "realism": r["realism"] or 0.0, "evasion": r["evasion"] or 0.0,
                        "narrative": s.narrative,
                        "cell": r["cell"] or "-", "band": r["band"], "funds": r["funds_integrated"] or 0.0,
                        "value_evasion": r["value_evasion"] or 0.0, "case_evasion": r["case_evasion"] or 0.0,
                        "drawing": flow_drawing(s), "debate_id": d[0] if d else None, "turns": turns})
        html = _ENV.from_string(resources.files(__name__).joinpath("template.html.jinja").read_text()).render(
            cfg=v.cfg, summary=summary, progress=progress_chart(rounds, recall_per_round(v, rounds)),
            heat=heatmap(v.archive()), last=v.last, top=top,
            top_filter=", ".join(x for x in (cell and f"cell {cell}", band and f"volume band {band}") if x))
    finally:
        v.close()
    write_text_atomic(out, html)
    return out


__all__ = ["archive_novelty", "recall_per_round", "write_report"]
