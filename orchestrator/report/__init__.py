"""`write_report`: one self-contained HTML file (inline images, no network) for a run."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np
from jinja2 import select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from graph_schema.dsl import Scenario
from graph_schema.formats import write_text_atomic
from orchestrator.inspect import InspectError, RunView
from orchestrator.report.charts import flow_drawing, heatmap, progress_chart

_ENV = SandboxedEnvironment(autoescape=select_autoescape(default=True))


def _recall(v: RunView, rounds: list[dict]) -> list[float]:
    """Per round: share of the archive's transactions its detectors alert, averaged over elites."""
    out = []
    for r in rounds:
        vals = [1 - json.loads(x[0])["evaded_share"] for x in v.store.db.execute(
            "SELECT (SELECT body FROM evaluations e WHERE e.scenario_id = a.scenario_id AND e.detector_version <= ? "
            "ORDER BY e.detector_version DESC LIMIT 1) FROM archive_cells a WHERE a.round = ?",
            (r["detector_version"], r["round"])) if x[0]]
        out.append(float(np.mean(vals)) if vals else 0.0)
    return out


def write_report(run_dir: Path, out: Path, top_n: int = 5) -> Path:
    """Raises: InspectError (no run, or no closed round)."""
    v = RunView.open(run_dir)
    try:
        rounds = v.rounds()
        if not rounds:
            raise InspectError(f"{run_dir}: no round has closed yet; nothing to report")
        db = v.store.db
        counts = v.store.counts()
        summary = [("run directory", str(run_dir)), ("status", v.store.get_meta("status")),
                   ("config hash", v.cfg.digest()), ("seed", v.cfg.seed),
                   ("rounds", f"{len(rounds)} of {v.cfg.budgets.rounds}"),
                   ("roles", ", ".join(f"{r}={getattr(v.cfg.agents, r).mode}" for r in
                                       ("planner", "critic", "adversary", "evolver", "judge"))),
                   ("detectors", ", ".join(v.cfg.detectors.names) + f" (versions: {rounds[-1]['detector_version'] + 1})"),
                   ("debates", counts["debates"]), ("scenarios", counts["scenarios"]), ("matches", counts["matches"]),
                   ("failures", counts["failures"]), ("tokens spent", f"{rounds[-1]['tokens']:,}"),
                   ("archive coverage", f"{rounds[-1]['coverage']:.1%}"), ("QD-score", f"{rounds[-1]['qd_score']:.2f}"),
                   ("best Elo", f"{rounds[-1]['best_elo']:.0f}")]
        top = []
        for r in v.top(top_n):
            (body,) = db.execute("SELECT body FROM scenarios WHERE id = ?", (r["scenario_id"],)).fetchone()
            s = Scenario.model_validate_json(body)
            d = db.execute("SELECT debate_id FROM turns WHERE scenario_id = ? ORDER BY debate_id LIMIT 1",
                           (r["scenario_id"],)).fetchone()
            turns = [dict(t) for t in db.execute("SELECT * FROM turns WHERE debate_id = ? ORDER BY idx", (d[0],))] if d else []
            top.append({"id": r["scenario_id"], "name": s.name, "typology": r["typology"], "elo": r["elo"],
                        "realism": r["realism"] or 0.0, "evasion": r["evasion"] or 0.0, "narrative": s.narrative,
                        "drawing": flow_drawing(s), "debate_id": d[0] if d else None, "turns": turns})
        html = _ENV.from_string(resources.files(__name__).joinpath("template.html.jinja").read_text()).render(
            cfg=v.cfg, summary=summary, progress=progress_chart(rounds, _recall(v, rounds)),
            heat=heatmap(v.archive()), last=v.last, top=top)
    finally:
        v.close()
    write_text_atomic(out, html)
    return out


__all__ = ["write_report"]
