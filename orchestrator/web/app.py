"""`create_app(run_dir, token)`: the FastAPI application behind `redledger serve`.

Server-rendered Jinja2 pages (autoescaped: scenario and transcript text is always
escaped), Plotly charts drawn from JSON the pages fetch, and a small script (static/live.js)
that refreshes the live parts of a page every `POLL_MS` without a reload. Plotly's own
bundle is served from the installed `plotly` package, so nothing comes from a network.
"""

from __future__ import annotations

import threading
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from graph_schema.formats import read_world_stub
from orchestrator.engine import InspectError, RunLayout, RunView, StoreError
from orchestrator.web.security import token_middleware

POLL_MS = 1500


class Workspace:
    """What the routes share: the run directory, templates, and the run's World without
    its ledger (loaded once, on the first scenario page, to compile flows)."""

    def __init__(self, run_dir: Path):
        self.run_dir = Path(run_dir)
        here = resources.files("orchestrator.web")
        self.templates = Jinja2Templates(directory=str(here / "templates"))
        # every template escapes: the file names end in .jinja, which Jinja's default
        # extension-based selection would leave unescaped
        self.templates.env.autoescape = True
        self.templates.env.globals["poll_ms"] = POLL_MS
        self._world = None
        self._lock = threading.Lock()

    def view(self) -> RunView:
        """A fresh read-only view (each request sees what has been committed so far)."""
        return RunView.open(self.run_dir)

    def world(self, v: RunView):
        with self._lock:
            if self._world is None:
                self._world = read_world_stub(RunLayout.of(self.run_dir, v.cfg).world)
            return self._world

    def page(self, request: Request, name: str, status_code: int = 200, **ctx) -> HTMLResponse:
        return self.templates.TemplateResponse(request, name, {"csrf": request.state.csrf, **ctx},
                                               status_code=status_code)


def create_app(run_dir: Path, token: str | None = None) -> FastAPI:
    """The workspace of ``run_dir``; ``token`` (if set) is required on every request."""
    from orchestrator.web.forms import router as forms
    from orchestrator.web.pages import InputError
    from orchestrator.web.pages import router as pages

    app = FastAPI(title="redledger", docs_url=None, redoc_url=None, openapi_url=None)
    ws = Workspace(run_dir)
    app.state.ws = ws
    app.middleware("http")(token_middleware(token))
    here = resources.files("orchestrator.web")
    app.mount("/static", StaticFiles(directory=str(here / "static")), name="static")
    plotly_js = resources.files("plotly") / "package_data" / "plotly.min.js"

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly() -> FileResponse:
        # 4.8 MB that never changes while the server runs: browsers keep it for a day
        return FileResponse(str(plotly_js), media_type="text/javascript",
                            headers={"Cache-Control": "private, max-age=86400"})

    @app.exception_handler(RequestValidationError)
    async def bad_query(request: Request, err: RequestValidationError) -> HTMLResponse:
        e = err.errors()[0]
        where = ".".join(str(x) for x in e.get("loc", ())[1:]) or "request"
        return ws.page(request, "error.html.jinja", 400, message=f"{where}: {e.get('msg', 'invalid')}")

    @app.exception_handler(InspectError)
    async def not_found(request: Request, err: InspectError) -> HTMLResponse:
        return ws.page(request, "error.html.jinja", 404, message=str(err))

    @app.exception_handler(InputError)
    async def bad_input(request: Request, err: InputError) -> HTMLResponse:
        return ws.page(request, "error.html.jinja", 400, message=str(err))

    @app.exception_handler(StoreError)
    async def store_error(request: Request, err: StoreError) -> HTMLResponse:
        return ws.page(request, "error.html.jinja", 503, message=str(err))

    app.include_router(pages)
    app.include_router(forms)
    return app


__all__ = ["POLL_MS", "Workspace", "create_app"]
