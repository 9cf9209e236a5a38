"""An evolution cell: one arm of the loop, run with one evolution seed in World A, and what the
effect analysis needs from it (elites with their Elo, round-0 planner drafts, diversity,
validity and cost). The run directory is a normal run: `redledger show` and `report` read it,
and a cell interrupted mid-run resumes it.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from agents.models import Review
from agents.principles import load_principles
from graph_schema.families import family_of
from orchestrator.engine import RunConfig, RunOutcome, RunStore, execute, open_run


class LoopInterrupted(RuntimeError):
    """The loop stopped before its budgets ended (Ctrl-C): the cell is not complete."""


def run_loop(cfg: RunConfig, run_dir: Path) -> dict:
    """Run (or resume) the loop inline in ``run_dir`` and summarise it.

    Raises:
        LoopInterrupted: a stop (Ctrl-C, SIGTERM) ended the run early; running the cell
            again resumes the run from its store.
    """
    t0 = time.monotonic()
    store, cfg = open_run(run_dir, cfg)
    try:
        status = asyncio.run(execute(run_dir, store, cfg, inline=True))
        if status == RunOutcome.STOPPED:
            raise LoopInterrupted(f"{run_dir}: the run was stopped; run the experiment again to resume it")
        summary = summarise(store, cfg)
    finally:
        store.close()
    return {**summary, "status": str(status), "wall_seconds": round(time.monotonic() - t0, 2)}


def _valid(review: Review, threshold: float) -> bool:
    """Would the critic accept it with its gate on: realism and every gate pass."""
    return review.realism >= threshold and all(g.score >= 1 for g in review.gates)


def summarise(store: RunStore, cfg: RunConfig) -> dict:
    """Elites (final archive), round-0 planner drafts, diversity, validity and cost of a run."""
    last = store.last_round()
    threshold = load_principles(cfg.agents.principles).critic.accept_threshold
    elites = []
    for row in store.archive_at(last):
        s, rep = store.scenario(row["scenario_id"]), store.evaluation(row["scenario_id"])
        elites.append(
            {
                "id": s.uid,
                "scenario": s.model_dump(mode="json"),
                "elo": row["elo"],
                "cell": row["cell"],
                "typology": s.primary_typology.value,
                "family": family_of(s.primary_typology),
                "realism": row["realism"],
                "funds_integrated": rep.funds_integrated,
                "value_evasion": rep.evaded_value_share,
                "case_evasion": rep.case_evaded_share,
            }
        )
    drafts, proposals, valid = [], 0, 0
    for r in range(last + 1):
        for _, d in sorted(store.debates_of(r).items()):
            for t in store.turns(d["id"]):
                if t["role"] in ("planner", "evolver"):
                    proposals += 1
                    if r == 0 and d["origin"] == "plan" and t["idx"] == 0 and t["payload"]:
                        drafts.append(t["payload"])
                elif t["role"] == "critic" and t["payload"]:
                    valid += _valid(Review.model_validate_json(t["payload"]), threshold)
    rounds = store.rounds()
    end = rounds[-1] if rounds else {}
    return {
        "elites": elites,
        "drafts": drafts,
        "diversity": {
            k: end.get(k, 0.0) for k in ("coverage", "families", "typology_entropy", "structural_distance")
        },
        "validity": {"proposals": proposals, "valid": valid, "rate": valid / proposals if proposals else 0.0},
        "cost": {
            "candidates": sum(r["candidates"] for r in rounds),
            "proposals": proposals,
            "seconds": round(sum(r["seconds"] for r in rounds), 2),
            "tokens": store.tokens_spent(),
        },
        "filter": {
            "kept": sum(r["filter_kept"] for r in rounds),
            "dropped": sum(r["filter_dropped"] for r in rounds),
        },
        "rounds": len(rounds),
    }


__all__ = ["LoopInterrupted", "run_loop", "summarise"]
