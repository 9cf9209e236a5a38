"""An evolution cell: one arm of the loop, run with one evolution seed in World A, and what the
effect analysis needs from it (elites with their Elo, planner drafts, diversity,
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


def _turns(store: RunStore, last: int, threshold: float, round0_drafts: bool) -> tuple[list[str], int, int]:
    """The distinct first planner drafts, the proposals and the proposals valid with the gate on."""
    drafts, seen, proposals, valid = [], set(), 0, 0
    for r in range(last + 1):
        for _, d in sorted(store.debates_of(r).items()):
            for t in store.turns(d["id"]):
                if t["role"] in ("planner", "evolver"):
                    proposals += 1
                    first = d["origin"] == "plan" and t["idx"] == 0 and (r == 0 or not round0_drafts)
                    if first and t["payload"] and t["payload"] not in seen:
                        seen.add(t["payload"])
                        drafts.append(t["payload"])
                elif t["role"] == "critic" and t["payload"]:
                    valid += _valid(Review.model_validate_json(t["payload"]), threshold)
    return drafts, proposals, valid


def summarise(store: RunStore, cfg: RunConfig, round0_drafts: bool = False) -> dict:
    """Elites (final archive), planner drafts, diversity, validity and cost of a run.

    Drafts are the first planner draft of every planner debate, of every round, each distinct
    draft once: briefs are drawn from the same library in every round and the planner sees no
    detector evidence, so every round's drafts are samples of the same unrevised, unevolved
    planner (more of them than round 0 alone gives the comparison its power).
    ``round0_drafts`` keeps round 0's only.
    """
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
    drafts, proposals, valid = _turns(store, last, threshold, round0_drafts)
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
        "llm": store.llm_usage(),
        "filter": {
            "kept": sum(r["filter_kept"] for r in rounds),
            "dropped": sum(r["filter_dropped"] for r in rounds),
        },
        "rounds": len(rounds),
    }


__all__ = ["LoopInterrupted", "run_loop", "summarise"]
