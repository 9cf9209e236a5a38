"""`redledger serve` over HTTP: pages render from the run store, search filters, text is
escaped, the token guards every request, forms are CSRF-safe and write only the expert
store. (The real-browser test of a live run is test_browser.py.)"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3

import pytest
from fastapi.testclient import TestClient

from orchestrator.engine.store.expert import ExpertStore
from orchestrator.web import create_app

from .test_cli import one_error_line, run

EVIL = "<script>window.pwned = 1</script><b>bold</b>"
TOKEN = "correct-horse-battery-staple"


@pytest.fixture(scope="module")
def run_dir(finished_run, tmp_path_factory):
    """A copy of the finished tiny run, with a hostile turn text and scenario name planted."""
    d = tmp_path_factory.mktemp("served") / "run"
    shutil.copytree(finished_run, d)
    db = sqlite3.connect(d / "run.sqlite")
    did = db.execute("SELECT debate_id FROM turns ORDER BY debate_id LIMIT 1").fetchone()[0]
    db.execute("UPDATE turns SET text = ? WHERE debate_id = ? AND idx = 0", (EVIL, did))
    sid, body = db.execute("SELECT id, body FROM scenarios ORDER BY id LIMIT 1").fetchone()
    doc = json.loads(body)
    doc["narrative"] = EVIL
    db.execute("UPDATE scenarios SET body = ? WHERE id = ?", (json.dumps(doc), sid))
    db.commit()
    db.close()
    return d


@pytest.fixture
def client(run_dir):
    return TestClient(create_app(run_dir))


def elite(run_dir) -> str:
    db = sqlite3.connect(run_dir / "run.sqlite")
    return db.execute("SELECT scenario_id FROM archive_cells WHERE round = (SELECT MAX(round) FROM rounds) "
                      "ORDER BY cell LIMIT 1").fetchone()[0]


def test_every_page_renders_what_the_store_holds(client, run_dir):
    home = client.get("/")
    assert home.status_code == 200 and 'id="rounds-closed">4<' in home.text
    assert len(re.findall(r'class="round-row"', home.text)) == 4
    assert client.get("/api/series").json()["round"] == [0, 1, 2, 3]  # rounds count from 0, as in `status`
    arch = client.get("/archive")
    sid = elite(run_dir)
    assert arch.status_code == 200 and f"/scenario/{sid}" in arch.text
    heat = client.get("/api/archive").json()
    assert sid in sum(heat["ids"], [])
    page = client.get(f"/scenario/{sid[:12]}")  # an id prefix resolves
    assert page.status_code == 200 and sid in page.text
    for part in ("Money flow", 'id="evaluations"', 'id="lineage"', 'id="verdict-form"', 'id="dsl"'):
        assert part in page.text
    assert re.search(r">v\d+<", page.text)  # its evaluations by detector version (v0, or v1 if born later)
    flow = re.search(r'id="flow-data-main">(.*?)</script>', page.text, re.S).group(1)
    assert '"compiled": true' in flow and '"rows":' in flow  # amounts and times come from the World
    did = re.search(r"/debate/([0-9a-f]+)", page.text).group(1)
    assert client.get(f"/debate/{did}").status_code == 200


def test_a_child_shows_its_parent_diff(client, run_dir):
    db = sqlite3.connect(run_dir / "run.sqlite")
    child, = db.execute("SELECT id FROM scenarios WHERE parents != '[]' ORDER BY id LIMIT 1").fetchone()
    page = client.get(f"/scenario/{child}").text
    assert "DSL diff from parent" in page and re.search(r'<span class="(add|del)">', page)


def test_search_filters_by_typology_cell_band_and_elo(client, run_dir):
    def ids(**q):
        return re.findall(
            r'<tr><td>[\d.]+</td><td><a href="/scenario/([0-9a-f]+)"', client.get("/scenarios", params=q).text
        )

    everything = ids()
    assert len(everything) >= 4
    db = sqlite3.connect(run_dir / "run.sqlite")
    (typ,) = db.execute(f"SELECT typology FROM scenarios WHERE id = '{everything[0]}'").fetchone()
    assert everything[0] in ids(typology=typ)
    assert all(
        db.execute("SELECT typology FROM scenarios WHERE id = ?", (s,)).fetchone()[0] == typ
        for s in ids(typology=typ)
    )
    cell = db.execute(
        "SELECT cell FROM archive_cells WHERE scenario_id = ? ORDER BY round DESC", (elite(run_dir),)
    ).fetchone()[0]
    assert ids(cell=cell) == [elite(run_dir)]
    top = float(re.search(r"<tr><td>([\d.]+)</td>", client.get("/scenarios").text).group(1))
    assert set(ids(elo_min=top)) < set(everything) and ids(elo_min=top + 1) == []
    bands = {b: ids(band=b) for b in ("v0", "v1", "v2", "v3")}
    assert sorted(sum(bands.values(), [])) == sorted(everything)  # every scenario is in exactly one band
    bad = client.get("/scenarios", params={"elo_min": "lots"})
    assert bad.status_code == 400 and "elo_min/elo_max: &#39;lots&#39; is not a number" in bad.text
    nan = client.get("/scenarios", params={"elo_min": "nan"})
    assert nan.status_code == 400 and "&#39;nan&#39; is not a finite number" in nan.text
    nowhere = client.get("/scenarios", params={"band": "v9"})
    assert nowhere.status_code == 400 and "no volume band &#39;v9&#39;" in nowhere.text


def test_scenario_and_transcript_text_is_escaped(client, run_dir):
    db = sqlite3.connect(run_dir / "run.sqlite")
    (did,) = db.execute("SELECT debate_id FROM turns WHERE text = ?", (EVIL,)).fetchone()
    (sid,) = db.execute("SELECT id FROM scenarios WHERE body LIKE ?", ("%pwned%",)).fetchone()
    escaped = "&lt;script&gt;window.pwned = 1&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;"
    for page in (client.get(f"/debate/{did}").text, client.get(f"/scenario/{sid}").text):
        assert escaped in page and EVIL not in page


def test_the_plotly_bundle_is_cached_by_the_browser(client):
    r = client.get("/vendor/plotly.min.js")
    assert r.status_code == 200 and len(r.content) > 1_000_000
    assert r.headers["cache-control"] == "private, max-age=86400"


def test_the_token_guards_every_request(run_dir):
    c = TestClient(create_app(run_dir, TOKEN))
    for url in ("/", "/api/status", "/static/app.css", "/vendor/plotly.min.js", "/scenarios"):
        assert c.get(url).status_code == 401
    assert c.get("/", headers={"Authorization": "Bearer wrong-token-of-enough-length"}).status_code == 401
    assert c.get("/", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    first = c.get(f"/archive?token={TOKEN}", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/archive"
    assert c.get("/scenarios").status_code == 200  # the cookie it set now carries the token
    kept = c.get(f"/scenarios?q=fan+out&token={TOKEN}", follow_redirects=False)
    assert kept.headers["location"] == "/scenarios?q=fan+out"  # other parameters survive, encoded
    stranger = TestClient(create_app(run_dir, TOKEN))
    stranger.cookies.set("redledger_token", "x" * 20)
    assert stranger.post(f"/scenario/{elite(run_dir)}/verdict", data={}).status_code == 401


def test_forms_are_csrf_safe_and_write_only_the_expert_store(client, run_dir):
    sid = elite(run_dir)
    before = (run_dir / "run.sqlite").read_bytes()
    form = {"verdict": "unrealistic", "reason": "pass-through in minutes, no business reason"}
    assert client.post(f"/scenario/{sid}/verdict", data=form).status_code == 403  # no CSRF token at all
    client.get("/")  # the workspace hands out its CSRF cookie
    csrf = client.cookies.get("redledger_csrf")
    assert csrf and len(csrf) >= 32
    assert client.post(f"/scenario/{sid}/verdict", data={**form, "csrf": "forged" * 8}).status_code == 403
    other_site = client.post(
        f"/scenario/{sid}/verdict", data={**form, "csrf": csrf}, headers={"Origin": "http://evil.example"}
    )
    assert other_site.status_code == 403 and "is not this workspace" in other_site.text
    with ExpertStore(run_dir, readonly=True) as ex:
        assert ex.verdicts() == []
    ok = client.post(
        f"/scenario/{sid}/verdict", data={**form, "csrf": csrf, "analyst": "ana"}, follow_redirects=False
    )
    assert ok.status_code == 303 and "saved" in ok.headers["location"]
    shown = client.get(ok.headers["location"]).text
    assert "Latest verdict: <strong>unrealistic</strong> by ana" in shown and 'id="note"' in shown
    missing = client.post(
        f"/scenario/{sid}/verdict", data={"verdict": "realistic", "reason": " ", "csrf": csrf}
    )
    assert "reason: required" in missing.text
    unknown = client.post("/scenario/ffffffffffff/verdict", data={**form, "csrf": csrf})
    assert (
        unknown.status_code == 404 and "scenario: " in unknown.text and "no scenario with id" in unknown.text
    )
    with ExpertStore(run_dir, readonly=True) as ex:
        assert [(v.scenario_id, v.verdict, v.analyst) for v in ex.verdicts()] == [(sid, "unrealistic", "ana")]
    assert (run_dir / "run.sqlite").read_bytes() == before  # the run store keeps its single writer


def test_pairwise_form(client, run_dir):
    db = sqlite3.connect(run_dir / "run.sqlite")
    a, b = [
        r[0]
        for r in db.execute("SELECT scenario_id FROM archive_cells WHERE round = 3 ORDER BY cell LIMIT 2")
    ]
    page = client.get("/compare", params={"a": a, "b": b})
    assert page.status_code == 200 and 'id="pair-form"' in page.text
    csrf = client.cookies.get("redledger_csrf")
    r = client.post(
        "/compare",
        data={"a": a, "b": b, "winner": "b", "reason": "payroll-like timing", "csrf": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith(f"/scenario/{b}")
    with ExpertStore(run_dir, readonly=True) as ex:
        assert [(p.a, p.b, p.chosen) for p in ex.pairs()][-1] == (a, b, b)
    assert client.get("/compare", params={"a": a, "b": a}).status_code == 400
    half = client.get("/compare", params={"a": a})  # a page, not FastAPI's JSON
    assert half.status_code == 400 and half.headers["content-type"].startswith("text/html")
    assert "b: Field required" in half.text


def test_serve_refuses_a_public_host_without_a_token(monkeypatch, run_dir, capsys):
    monkeypatch.delenv("REDLEDGER_TOKEN", raising=False)
    assert run(monkeypatch, "serve", run_dir, "--host", "0.0.0.0") == 2
    assert "needs a token" in one_error_line(capsys.readouterr().err)
    assert run(monkeypatch, "serve", run_dir, "--host", "0.0.0.0", "--token", "short") == 2
    assert "--token: at least 16 characters" in one_error_line(capsys.readouterr().err)
    assert run(monkeypatch, "serve", run_dir.parent / "nothing-here") == 2
    assert "no run here" in one_error_line(capsys.readouterr().err)
