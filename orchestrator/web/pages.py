"""The workspace's pages (GET): status, archive, search, scenario, diff, compare, debate,
plus the fragments and JSON that the live script polls."""

from __future__ import annotations

import json
import math
from contextlib import contextmanager

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from graph_schema import ScenarioError, compile_scenario
from graph_schema.dsl import Scenario
from graph_schema.enums import Typology
from orchestrator.engine import ExpertStore, InspectError
from orchestrator.web import data

router = APIRouter()


class InputError(ValueError):
    """A query parameter that cannot be used (one line naming it); answered with 400."""


@contextmanager
def opened(request: Request, expert: bool = False):
    """(workspace, a fresh read-only run view, the expert store read-only if ``expert``
    else None: the pages polled every second do not open it)."""
    ws = request.app.state.ws
    v = ws.view()
    try:
        if not expert:
            yield ws, v, None
            return
        with ExpertStore(ws.run_dir, readonly=True) as ex:
            yield ws, v, ex
    finally:
        v.close()


def _float(x: str | None) -> float | None:
    try:
        v = float(x) if x not in (None, "") else None
    except ValueError:
        raise InputError(f"elo_min/elo_max: '{x}' is not a number") from None
    if v is not None and not math.isfinite(v):
        raise InputError(f"elo_min/elo_max: '{x}' is not a finite number")
    return v


@router.get("/", response_class=HTMLResponse)
def home(request: Request):
    with opened(request) as (ws, v, _):
        return ws.page(request, "status.html.jinja", st=data.status(v), rounds=v.rounds(), active="status")


@router.get("/fragments/status", response_class=HTMLResponse)
def status_fragment(request: Request):
    with opened(request) as (ws, v, _):
        return ws.page(request, "_status.html.jinja", st=data.status(v), rounds=v.rounds())


@router.get("/api/status")
def api_status(request: Request):
    with opened(request) as (_, v, _ex):
        return JSONResponse(data.status(v))


@router.get("/api/series")
def api_series(request: Request):
    with opened(request) as (_, v, _ex):
        return JSONResponse(data.series(v))


@router.get("/api/archive")
def api_archive(request: Request):
    with opened(request) as (_, v, _ex):
        h = data.heatmap(v)
        h.pop("cells")
        return JSONResponse(h)


@router.get("/archive", response_class=HTMLResponse)
def archive(request: Request):
    with opened(request, expert=True) as (ws, v, ex):
        return ws.page(request, "archive.html.jinja", heat=data.heatmap(v), labels=ex.labels(),
                       last=v.last, active="archive")


@router.get("/scenarios", response_class=HTMLResponse)
def scenarios(request: Request, typology: str = "", cell: str = "", band: str = "", elo_min: str = "",
              elo_max: str = "", q: str = ""):
    with opened(request, expert=True) as (ws, v, ex):
        bands = [f"v{i}" for i in range(len(v.cfg.archive.volume_bins) + 1)]
        cells = sorted(c["cell"] for c in v.archive()) if v.last >= 0 else []
        try:
            rows = data.search(v, typology, cell, band, _float(elo_min), _float(elo_max), q, ex.labels())
        except InspectError as err:  # a cell without an elite, a band that does not exist
            raise InputError(f"cell/band: {err}") from None
        return ws.page(request, "scenarios.html.jinja", rows=rows, bands=bands, cells=cells,
                       typologies=[t.value for t in Typology], active="scenarios",
                       f={"typology": typology, "cell": cell, "band": band, "elo_min": elo_min,
                          "elo_max": elo_max, "q": q})


def _scenario_context(ws, v, ex, sid: str) -> dict:
    d = v.scenario(sid)
    s = Scenario.model_validate_json(d["body"])
    try:
        compiled = compile_scenario(s, ws.world(v), v.cfg.agents.compile_seed)
        compile_error = None
    except (ScenarioError, ValueError) as err:
        compiled, compile_error = None, " ".join(str(err).split())
    lin = data.lineage(v, d["id"])
    parents = json.loads(d["parents"])
    diffs = []
    for p in parents:
        ps = v.store.scenario(p)
        if ps is not None:
            diffs.append({"parent": p, "lines": data.dsl_diff(ps, s)})
    evaluations = [{"version": e["detector_version"], **json.loads(e["body"])} for e in d["evaluations"]]
    archive = v.archive() if v.last >= 0 else []
    cell = next((c["cell"] for c in archive if c["scenario_id"] == d["id"]), None)
    elites = [c for c in archive if c["scenario_id"] != d["id"]]
    return {
        "d": d,
        "s": s,
        "dsl": data.dsl_text(s),
        "flow": data.flow(s, compiled),
        "compile_error": compile_error,
        "lineage": lin,
        "diffs": diffs,
        "evaluations": evaluations,
        "cell": cell,
        "elites": elites,
        "expert": data.expert_of(ex, d["id"]),
        "review": d["review"],
    }


@router.get("/scenario/{sid}", response_class=HTMLResponse)
def scenario(request: Request, sid: str, note: str = "", error: str = ""):
    with opened(request, expert=True) as (ws, v, ex):
        ctx = _scenario_context(ws, v, ex, sid)
        return ws.page(request, "scenario.html.jinja", note=note, error=error, active="scenarios", **ctx)


@router.get("/compare", response_class=HTMLResponse)
def compare(request: Request, a: str, b: str, error: str = ""):
    with opened(request, expert=True) as (ws, v, ex):
        left, right = _scenario_context(ws, v, ex, a), _scenario_context(ws, v, ex, b)
        if left["d"]["id"] == right["d"]["id"]:
            raise InputError("b: pick a scenario other than a")
        return ws.page(request, "compare.html.jinja", left=left, right=right, error=error, active="scenarios")


@router.get("/debate/{did}", response_class=HTMLResponse)
def debate(request: Request, did: str):
    with opened(request) as (ws, v, _):
        d = v.debate(did)
        for t in d["transcript"]:
            t["payload_pretty"] = json.dumps(json.loads(t["payload"]), indent=2) if t.get("payload") else ""
        return ws.page(request, "debate.html.jinja", d=d, active="scenarios")


__all__ = ["InputError", "router"]
