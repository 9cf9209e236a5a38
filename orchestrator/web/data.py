"""What the workspace's pages show, read from the run store and the expert store.

Every function takes an open `RunView` (read-only; a new one per request, so each page
sees the rounds committed so far) and returns plain data for a template or a JSON answer.
Nothing here writes.
"""

from __future__ import annotations

import difflib
import json
from collections import defaultdict
from datetime import UTC, datetime

import networkx as nx
import numpy as np

from graph_schema.dsl import Scenario
from orchestrator.engine import ExpertStore, Progress, RunView, cell_grid
from orchestrator.report import recall_per_round


def status(v: RunView) -> dict:
    """Run state, budgets and the progress of the round in flight."""
    rounds = v.rounds()
    last = rounds[-1] if rounds else {}
    progress = v.progress() or Progress(status="")
    b = v.cfg.budgets
    state = v.state()
    live = state == "running"
    return {
        "name": v.cfg.name, "state": state, "rounds_closed": len(rounds), "rounds_budget": b.rounds,
        "round_in_flight": progress.round if live else None,
        "planned": progress.planned, "done": progress.done,
        "in_flight": progress.in_flight, "phase": progress.status,
        "tokens": v.store.tokens_spent(), "tokens_budget": b.llm_tokens,
        "wall_clock_budget": b.wall_clock_s,
        "seconds": round(sum(r["seconds"] for r in rounds), 1),
        "detector_version": v.store.detector_version(),
        "coverage": last.get("coverage", 0.0), "qd_score": last.get("qd_score", 0.0),
        "best_elo": last.get("best_elo", v.cfg.tournament.initial_elo), "counts": v.store.counts(),
        "warnings": progress.warnings[-5:],
    }


def series(v: RunView) -> dict:
    """Per-round lines of the charts: best Elo, archive coverage, QD-score and detector
    recall on the archive (share of the elites' transactions alerted)."""
    rounds = v.rounds()
    return {"round": [r["round"] for r in rounds], "best_elo": [r["best_elo"] for r in rounds],
            "coverage": [r["coverage"] for r in rounds], "qd_score": [r["qd_score"] for r in rounds],
            "recall": recall_per_round(v, rounds), "candidates": [r["candidates"] for r in rounds],
            "seconds": [r["seconds"] for r in rounds]}


def heatmap(v: RunView) -> dict:
    """The archive as a grid: the first descriptor down, the others across; each filled
    cell carries its elite's id (click-through) and evasion."""
    cells = v.archive()
    g = cell_grid(cells)
    rows, cols = g.rows, [c or "-" for c in g.cols]
    z = [[None] * len(cols) for _ in rows]
    ids = [[""] * len(cols) for _ in rows]
    text = [[""] * len(cols) for _ in rows]
    for (i, j), c in g.at.items():
        z[i][j], ids[i][j] = round(c["evasion"], 4), c["scenario_id"]
        text[i][j] = f"{c['name']} ({c['typology']}), Elo {c['elo'] or 0:.0f}"
    return {"rows": rows, "cols": cols, "z": z, "ids": ids, "text": text,
            "descriptors": v.cfg.archive.descriptors, "cells": cells}


def search(v: RunView, typology: str = "", cell: str = "", band: str = "", elo_min: float | None = None,
           elo_max: float | None = None, q: str = "", labels: dict | None = None) -> list[dict]:
    """Rated scenarios (the Elo table after the last round, `RunView.top`) that pass every
    filter given, each with its expert label."""
    if v.last < 0:
        return []
    out = []
    for r in v.top(None, cell or None, band or None):
        r["expert"] = (labels or {}).get(r["scenario_id"])
        if typology and r["typology"] != typology:
            continue
        if elo_min is not None and r["elo"] < elo_min or elo_max is not None and r["elo"] > elo_max:
            continue
        if q and q.lower() not in (r["name"] + " " + r["scenario_id"]).lower():
            continue
        out.append(r)
    return out


def lineage(v: RunView, sid: str, depth: int = 6) -> dict:
    """Ancestors (parents, their parents... up to ``depth``) and children of ``sid``."""
    def up(x: str, d: int) -> dict:
        row = v.store.scenario_row(x) or {}
        parents = json.loads(row["parents"]) if row and d > 0 else []
        return {"id": x, "name": row.get("name", "?"), "operator": row.get("operator"),
                "parents": [up(p, d - 1) for p in parents]}

    return {"tree": up(sid, depth), "children": v.store.children(sid)}


def dsl_text(s: Scenario) -> str:
    return json.dumps(s.model_dump(mode="json", exclude={"lineage"}), indent=2, sort_keys=False)


def dsl_diff(parent: Scenario, child: Scenario) -> list[tuple[str, str]]:
    """A parent -> child unified diff of the DSL, as (kind, line): kind is add, del, hunk or ctx."""
    out = []
    for line in difflib.unified_diff(dsl_text(parent).splitlines(), dsl_text(child).splitlines(),
                                     "parent", "child", n=2, lineterm=""):
        kind = ("hunk" if line.startswith("@@") else "head" if line.startswith(("---", "+++"))
                else "add" if line.startswith("+") else "del" if line.startswith("-") else "ctx")
        out.append((kind, line))
    return out


def _when(ts: int) -> str:
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%d %H:%M")


def flow(s: Scenario, compiled) -> dict:
    """The scenario's money flow as compiled in the run's World: entities as nodes, one
    edge per transfer with its transactions' count, amounts and times; plus the rows as a
    timeline. ``compiled`` is a `CompiledScenario` (None: the DSL alone)."""
    roles = {e.id: e for e in s.entities}
    g = nx.MultiDiGraph()
    g.add_nodes_from(roles)
    stats: dict[int, list] = defaultdict(list)
    timeline = []
    if compiled is not None:
        rows = compiled.rows
        ts = rows.column("timestamp").to_numpy().astype("datetime64[s]").view(np.int64)
        amt = compiled.base_amounts
        for k, (i, t, a) in enumerate(zip(compiled.transfer_index, ts, amt, strict=True)):
            stats[int(i)].append((int(t), float(a)))
            if k < 2000:
                tr = s.transfers[int(i)]
                timeline.append({"t": _when(t), "amount": round(float(a), 2), "transfer": tr.id,
                                 "src": tr.src, "dst": tr.dst, "channel": tr.channel.value})
    for t in s.transfers:
        g.add_edge(t.src, t.dst, key=t.id)
    pos = nx.kamada_kawai_layout(nx.Graph(g)) if g.number_of_nodes() > 1 else {n: (0.0, 0.0) for n in g}
    nodes = [{"id": n, "x": float(pos[n][0]), "y": float(pos[n][1]), "kind": roles[n].kind.value,
              "role": roles[n].role.value, "recruit": roles[n].recruit.mode,
              "proceeds": bool(roles[n].initial_funds)} for n in g.nodes]
    edges = []
    for i, t in enumerate(s.transfers):
        got = stats.get(i, [])
        amounts = [a for _, a in got]
        times = [x for x, _ in got]
        edges.append(
            {
                "id": t.id,
                "src": t.src,
                "dst": t.dst,
                "channel": t.channel.value,
                "purpose": t.purpose.value,
                "spec": t.amount.kind,
                "rows": len(got),
                "total": round(float(np.sum(amounts)), 2) if got else None,
                "min": round(min(amounts), 2) if got else None,
                "max": round(max(amounts), 2) if got else None,
                "first": _when(min(times)) if got else None,
                "last": _when(max(times)) if got else None,
            }
        )
    return {
        "nodes": nodes,
        "edges": edges,
        "timeline": timeline,
        "currency": s.currency.value,
        "compiled": compiled is not None,
    }


def expert_of(ex: ExpertStore, sid: str) -> dict:
    return {"verdicts": ex.verdicts(scenario_id=sid), "pairs": ex.pairs(scenario_id=sid)}


__all__ = ["dsl_diff", "dsl_text", "expert_of", "flow", "heatmap", "lineage", "search", "series", "status"]
