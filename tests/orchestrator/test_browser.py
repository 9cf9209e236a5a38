"""The workspace in a real browser (Debian's chromium, driven by Playwright; no browser is
downloaded) against a live run in another process: pages load, charts render, a new round
appears within 5 s without a reload, and a review submitted in the browser removes the
scenario from the archive at the next round. Screenshots are kept in ``test-artifacts/``."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestrator.engine import open_run

from .conftest import tiny_config

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(
    os.environ.get("REDLEDGER_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts")
)

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make test installs it)")


def rounds_closed(run_dir: Path) -> int:
    db = sqlite3.connect(f"file:{run_dir / 'run.sqlite'}?mode=ro", uri=True)
    try:
        return db.execute("SELECT COUNT(*) FROM rounds").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        db.close()


def wait_for(cond, timeout: float, what: str, run: LiveRun | None = None):
    """Poll ``cond`` until it holds; fails at once, with the run's own account, if the run's
    process has ended meanwhile."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = cond()
        if got:
            return got
        if run is not None and run.proc.poll() is not None:
            ended = f"the run ended (exit {run.proc.returncode})"
            raise AssertionError(f"{ended} while waiting for {what}:\n{run.log()}")
        time.sleep(0.2)
    state = f"; the run is still going:\n{run.log()}" if run is not None else ""
    raise AssertionError(f"timed out after {timeout} s waiting for {what}{state}")


@dataclass
class LiveRun:
    """A run going on in another process; its stderr goes to a file (a pipe nobody reads
    could fill and stall it)."""

    run_dir: Path
    proc: subprocess.Popen
    stderr: Path

    def log(self) -> str:
        rounds = rounds_closed(self.run_dir)
        return f"{rounds} rounds closed; stderr ends:\n" + self.stderr.read_text(errors="replace")[-3000:]


@pytest.fixture
def live_run(tmp_path):
    """A run going on in its own process (procedural roles, many short rounds)."""
    run_dir = tmp_path / "run"
    # a budget the test cannot exhaust, however slow the browser is: the run must still be
    # going when the review is applied
    cfg = tiny_config(budgets={"rounds": 100_000}, coevolution_period=0, debate_turns=1)
    open_run(run_dir, cfg)[0].close()
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "OMP_NUM_THREADS": "1"}
    stderr = tmp_path / "run.stderr"
    with stderr.open("w") as err:
        p = subprocess.Popen(
            [sys.executable, "-m", "orchestrator.cli", "resume", str(run_dir), "--inline"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    run = LiveRun(run_dir, p, stderr)
    try:
        wait_for(lambda: rounds_closed(run_dir) >= 1, 300, "the first round", run)
        yield run
    finally:
        p.send_signal(signal.SIGINT)
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()


@pytest.fixture
def server(live_run):
    import uvicorn

    from orchestrator.web import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(
        uvicorn.Config(create_app(live_run.run_dir), host="127.0.0.1", port=port, log_level="warning")
    )
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    wait_for(lambda: srv.started, 30, "the server")
    yield f"http://127.0.0.1:{port}", live_run
    srv.should_exit = True
    t.join(timeout=10)


def test_the_workspace_follows_a_live_run_and_takes_a_review(server):
    from playwright.sync_api import sync_playwright

    base, run = server
    run_dir = run.run_dir
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))

        # status: charts render, and a new round shows up without a reload
        page.goto(base + "/")
        for chart in ("elo", "coverage", "qd", "recall"):
            page.wait_for_selector(f"#chart-{chart} .main-svg", timeout=15_000)
        page.evaluate("window.__sameDocument = true")
        shown = int(page.inner_text("#rounds-closed"))
        wait_for(lambda: rounds_closed(run_dir) > shown, 120, "a new round in the store", run)
        seen_at = time.monotonic()
        page.wait_for_function(
            f"parseInt(document.getElementById('rounds-closed').textContent) > {shown}", timeout=5_000
        )
        delay = time.monotonic() - seen_at
        assert delay <= 5.0
        (ARTIFACTS / "serve-latency.txt").write_text(f"new round shown {delay:.2f} s after it was stored\n")
        assert page.evaluate("window.__sameDocument === true")  # no reload happened
        page.screenshot(path=str(ARTIFACTS / "serve-status.png"), full_page=True)

        # archive: the heatmap renders and a click on a cell opens its elite
        page.goto(base + "/archive")
        page.wait_for_selector("#heatmap .main-svg", timeout=15_000)
        page.screenshot(path=str(ARTIFACTS / "serve-archive.png"), full_page=True)
        target = page.eval_on_selector("#cells a", "a => a.getAttribute('href')").split("/")[-1]
        page.evaluate(
            "id => document.getElementById('heatmap').emit('plotly_click', {points: [{customdata: id}]})",
            target,
        )
        page.wait_for_url(f"**/scenario/{target}", timeout=10_000)

        # scenario: the flow graph renders; the analyst rejects the scenario in the form
        page.wait_for_selector("#flow-main .main-svg", timeout=15_000)
        page.wait_for_selector("#timeline-main .main-svg", timeout=15_000)
        page.check("input[name=verdict][value=unrealistic]")
        page.fill(
            "textarea[name=reason]", "Round sums at fixed hours from a retiree's account: not credible."
        )
        page.fill("input[name=analyst]", "browser-test")
        page.click("#verdict-submit")
        page.wait_for_selector("#note", timeout=10_000)
        at_submit = rounds_closed(run_dir)  # counted once the verdict is stored, not before
        assert "unrealistic" in page.inner_text("#expert-latest")
        page.screenshot(path=str(ARTIFACTS / "serve-scenario.png"), full_page=True)

        # the run applies it at the start of its next round (the one after the round in
        # flight when it was stored): gone once that round closes
        wait_for(lambda: rounds_closed(run_dir) >= at_submit + 2, 180, "two more rounds", run)
        db = sqlite3.connect(f"file:{run_dir / 'run.sqlite'}?mode=ro", uri=True)
        last = db.execute("SELECT MAX(round) FROM rounds").fetchone()[0]
        assert (
            db.execute(
                "SELECT COUNT(*) FROM archive_cells WHERE round = ? AND scenario_id = ?", (last, target)
            ).fetchone()[0]
            == 0
        )
        state = json.loads(db.execute("SELECT value FROM meta WHERE key = 'supervisor'").fetchone()[0])
        assert target in state["barred"]  # removed by the verdict, not by a rival taking the cell
        page.goto(base + "/archive")
        assert f"/scenario/{target}" not in page.content()
        page.goto(base + f"/scenario/{target}")
        assert "not in the archive" in page.inner_text("#cell")
        assert errors == [], errors
        browser.close()
