"""What an export holds: the run's World with its archive elites (or every accepted
scenario) injected, and the metadata the card and the scenarios file report."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from agents.models import EvasionReport, Review
from graph_schema import ScenarioError, compile_scenario, inject
from graph_schema.dsl import Scenario
from graph_schema.formats import read_world
from orchestrator.engine import (
    STORE,
    ExpertStore,
    ExpertVerdict,
    RunConfig,
    RunLayout,
    RunStore,
    label_record,
)


class ExportError(ValueError):
    """The run cannot be exported as asked (one line)."""


@dataclass
class Entry:
    scenario: Scenario
    review: Review
    report: EvasionReport
    elo: float
    cell: str | None
    expert: ExpertVerdict | None = None  # the latest expert verdict, if an analyst reviewed it


@dataclass
class RunContent:
    run_dir: Path
    cfg: RunConfig
    entries: list[Entry]
    world: object  # the World with the entries injected
    rounds: int
    matches: list[dict]
    models: list[str]


def load_content(run_dir: Path, all_accepted: bool = False) -> RunContent:
    """Raises: ExportError (no run, no closed round, empty archive)."""
    if not (run_dir / STORE).exists():
        raise ExportError(f"{run_dir}: no run here ({STORE} is missing)")
    with RunStore(run_dir / STORE, readonly=True) as store:
        cfg = store.config()
        last = store.last_round()
        cells = {r["scenario_id"]: r["cell"] for r in store.archive_at(last)}
        if last < 0 or not cells:
            raise ExportError(f"{run_dir}: the run has no archive yet (no round has closed with an elite); "
                              "run or resume it first")
        ids = store.accepted_ids() if all_accepted else sorted(cells, key=lambda s: cells[s])
        elo = store.elo_at(last)
        version = store.detector_version()
        entries = []
        for sid in ids:
            c = store.find_candidate(sid, version)
            if c is not None:
                entries.append(Entry(c.scenario, c.review, c.report,
                                     elo.get(sid, (cfg.tournament.initial_elo, 0))[0], cells.get(sid)))
        matches = store.decided_matches()
        models = store.models_used()
    with ExpertStore(run_dir, readonly=True) as ex:
        labels = ex.labels()
    for e in entries:
        e.expert = labels.get(e.scenario.uid)
    world = read_world(RunLayout.of(run_dir, cfg).world)
    compiled = []
    for e in entries:
        try:
            compiled.append(compile_scenario(e.scenario, world, cfg.agents.compile_seed))
        except ScenarioError as err:
            raise ExportError(
                f"{run_dir}: scenario {e.scenario.uid} no longer compiles in the World: {err}"
            ) from None
    return RunContent(run_dir, cfg, entries, inject(world, compiled), last + 1, matches, models)


def scenario_record(e: Entry) -> dict:
    """One line of scenarios.jsonl: the DSL, lineage, review, expert label, scores and Elo."""
    return {
        "scenario_id": e.scenario.uid,
        "cell": e.cell,
        "elo": round(e.elo, 4),
        "expert": label_record(e.expert),
        "realism": e.review.realism,
        "accepted": e.review.accepted,
        "evasion": e.report.evasion,
        "evaded_share": e.report.evaded_share,
        "evaded_value_share": e.report.evaded_value_share,
        "case_evaded_share": e.report.case_evaded_share,
        "funds_integrated_usd": e.report.funds_integrated,
        "scenario": e.scenario.model_dump(mode="json"),
        "review": json.loads(e.review.model_dump_json()),
        "report": json.loads(e.report.model_dump_json()),
    }


__all__ = ["Entry", "ExportError", "RunContent", "load_content", "scenario_record"]
