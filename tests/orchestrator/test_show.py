"""`redledger show`: the archive grid, a scenario with its flows, review and lineage, a
debate transcript by role, the top of the Elo table, and clear errors."""

from __future__ import annotations

import sqlite3

from tests.orchestrator.test_cli import one_error_line, run


def _ids(run_dir):
    db = sqlite3.connect(run_dir / "run.sqlite")
    sid = db.execute("SELECT scenario_id FROM archive_cells ORDER BY round DESC, cell LIMIT 1").fetchone()[0]
    did = db.execute("SELECT debate_id FROM turns WHERE scenario_id = ? LIMIT 1", (sid,)).fetchone()[0]
    return sid, did


def test_show_views(monkeypatch, finished_run, capsys):
    sid, did = _ids(finished_run)
    assert run(monkeypatch, "show", finished_run, "archive") == 0
    out = capsys.readouterr().out
    assert "archive after round 3" in out and "elites): evasion / Elo per cell" in out
    flat = " ".join(out.split())  # the line wraps at 80 columns
    assert "novelty, distance to the nearest template:" in flat and "elites (0 = a template's shape)" in flat
    assert run(monkeypatch, "show", finished_run, "scenario", sid[:8]) == 0
    out = capsys.readouterr().out
    assert f"scenario {sid}" in out and "review: realism" in out and "lineage: generation" in out
    assert run(monkeypatch, "show", finished_run, "debate", did) == 0
    out = capsys.readouterr().out
    assert f"debate {did}" in out and "critic" in out and "adversary" in out and "tokens" in out
    assert run(monkeypatch, "show", finished_run, "top", "3") == 0
    assert "top 3 by Elo" in capsys.readouterr().out


def test_show_errors(monkeypatch, finished_run, tmp_path, capsys):
    assert run(monkeypatch, "show", finished_run, "scenario", "zzzz") == 2
    assert "no scenario with id 'zzzz'" in one_error_line(capsys.readouterr().err)
    assert run(monkeypatch, "show", finished_run, "histogram") == 2
    assert "unknown view 'histogram'" in one_error_line(capsys.readouterr().err)
    assert run(monkeypatch, "show", tmp_path, "archive") == 2
    assert "no run here" in one_error_line(capsys.readouterr().err)


def test_show_top_filters_by_band_and_cell(monkeypatch, finished_run, capsys):
    from orchestrator.engine.view import RunView
    v = RunView.open(finished_run)
    rows = v.top(100)
    cell = next(r["cell"] for r in rows if r["cell"])
    band = rows[0]["band"]
    assert [r["scenario_id"] for r in v.top(100, band=band)] == [
        r["scenario_id"] for r in rows if r["band"] == band
    ]
    assert [r["cell"] for r in v.top(100, cell=cell)] == [cell]  # one elite per cell
    v.close()
    assert run(monkeypatch, "show", finished_run, "top", "5", "--band", band) == 0
    out = capsys.readouterr().out
    assert f"in volume band {band}" in out
    assert run(monkeypatch, "show", finished_run, "top", "5", "--band", "v9") == 2
    assert "no volume band 'v9' (bands: v0, v1, v2, v3)" in one_error_line(capsys.readouterr().err)
    assert run(monkeypatch, "show", finished_run, "top", "5", "--cell", "nowhere|c0") == 2
    assert "no elite in cell 'nowhere|c0'" in one_error_line(capsys.readouterr().err)
