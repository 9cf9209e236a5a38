"""The workspace's forms (POST): an expert's verdict on one scenario, and the pick of the
more realistic of two. Both are CSRF-checked, validated with a one-line reason for any
refusal, written to the run's expert store (never to the run store), and answered with a
redirect (303) back to the page, which shows the verdict."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from orchestrator.engine import ExpertError, ExpertStore, InspectError
from orchestrator.web.security import check_csrf

router = APIRouter()


def _refuse(request: Request, message: str, status_code: int) -> HTMLResponse:
    return request.app.state.ws.page(request, "error.html.jinja", status_code, message=message)


def _evaluated(request: Request, prefix: str, field: str) -> str:
    """The full id of an evaluated scenario of this run; raises InspectError naming the field."""
    v = request.app.state.ws.view()
    try:
        try:
            sid = v.resolve("scenario", prefix)
        except InspectError as err:
            raise InspectError(f"{field}: {err}") from None
        if v.store.evaluation(sid) is None:
            raise InspectError(f"{field}: scenario {sid} was never evaluated by a detector; only evaluated "
                               "scenarios can be reviewed")
        return sid
    finally:
        v.close()


@router.post("/scenario/{sid}/verdict")
def verdict(request: Request, sid: str, verdict: str = Form(""), reason: str = Form(""),
            analyst: str = Form(""), csrf: str = Form("")):
    if (why := check_csrf(request, csrf)) is not None:
        return _refuse(request, f"verdict refused: {why}", 403)
    try:
        full = _evaluated(request, sid, "scenario")
        with ExpertStore(request.app.state.ws.run_dir) as ex:
            v = ex.add_verdict(full, verdict, reason, analyst)
    except InspectError as err:
        return _refuse(request, str(err), 404)
    except ExpertError as err:
        return RedirectResponse(f"/scenario/{full}?{urlencode({'error': str(err)})}", status_code=303)
    note = f"verdict #{v.id} saved: {v.verdict}; the run applies it at the start of its next round"
    return RedirectResponse(f"/scenario/{full}?{urlencode({'note': note})}", status_code=303)


@router.post("/compare")
def compare(request: Request, a: str = Form(""), b: str = Form(""), winner: str = Form(""),
            reason: str = Form(""), analyst: str = Form(""), csrf: str = Form("")):
    if (why := check_csrf(request, csrf)) is not None:
        return _refuse(request, f"pairwise verdict refused: {why}", 403)
    try:
        full_a, full_b = _evaluated(request, a, "a"), _evaluated(request, b, "b")
        with ExpertStore(request.app.state.ws.run_dir) as ex:
            p = ex.add_pair(full_a, full_b, winner, reason, analyst)
    except InspectError as err:
        return _refuse(request, str(err), 404)
    except ExpertError as err:
        return RedirectResponse(f"/compare?{urlencode({'a': a, 'b': b, 'error': str(err)})}", status_code=303)
    note = (f"pairwise verdict #{p.id} saved: {p.chosen} is the more realistic; it counts in the tournament "
            "from the next round")
    return RedirectResponse(f"/scenario/{p.chosen}?{urlencode({'note': note})}", status_code=303)


__all__ = ["router"]
