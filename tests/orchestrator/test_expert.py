"""Expert review flows back into the loop and the exports: a scenario an analyst rejects
leaves the archive at the next round and never returns; an analyst's pairwise verdict
moves Elo; exports carry the labels and mark the human pairs."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3

import pytest

from graph_schema.families import family_of
from orchestrator.engine import execute, open_run
from orchestrator.engine.archive import volume_band
from orchestrator.engine.store import RunStore
from orchestrator.engine.store.expert import ExpertError, ExpertStore
from orchestrator.engine.tournament import EloTable
from orchestrator.export import export_run

from .conftest import tiny_config

CFG = dict(coevolution_period=0, budgets={"rounds": 4})


def run_until(run_dir, rounds_closed: int | None = None) -> str:
    """Run (inline) until ``rounds_closed`` rounds have closed (None: to the end)."""
    store, cfg = open_run(run_dir, tiny_config(**CFG))

    def progress(p):
        return rounds_closed is not None and p.status == "round closed" and p.round + 1 >= rounds_closed

    try:
        return asyncio.run(execute(run_dir, store, cfg, inline=True, on_progress=progress))
    finally:
        store.close()


def archive(run_dir, round_: int) -> dict[str, str]:
    db = sqlite3.connect(run_dir / "run.sqlite")
    return dict(
        db.execute("SELECT scenario_id, cell FROM archive_cells WHERE round = ?", (round_,)).fetchall()
    )


@pytest.fixture(scope="module")
def halfway(tmp_path_factory):
    """A run stopped after two of its four rounds (do not modify: copy it)."""
    d = tmp_path_factory.mktemp("halfway")
    assert run_until(d, 2) == "stopped"
    assert len(archive(d, 1)) >= 3
    return d


def test_a_rejected_scenario_leaves_the_archive_at_the_next_round_and_never_returns(halfway, tmp_path):
    # without a verdict the run keeps some of round 1's elites at round 2: reject one of those,
    # so that its removal is the expert's doing
    control = tmp_path / "control"
    shutil.copytree(halfway, control)
    assert run_until(control) == "finished"
    elites = sorted(archive(halfway, 1))
    kept = [e for e in elites if e in archive(control, 2)]
    assert kept, "the control run kept none of round 1's elites"
    gone, other = kept[0], next(e for e in elites if e != kept[0])
    d = tmp_path / "run"
    shutil.copytree(halfway, d)
    with ExpertStore(d) as ex:
        ex.add_verdict(gone, "unrealistic", "round amounts every day from a salaried account", "ana")
        ex.add_verdict(other, "unrealistic", "first thought", "ana")
        ex.add_verdict(other, "realistic", "on second look, plausible", "ana")  # the latest counts
    assert run_until(d) == "finished"
    for r in (2, 3):
        assert gone not in archive(d, r)
    db = sqlite3.connect(d / "run.sqlite")
    state = json.loads(db.execute("SELECT value FROM meta WHERE key = 'supervisor'").fetchone()[0])
    assert state["barred"] == [gone] and state["expert_seen"] == [3, 0]


def test_an_unreadable_expert_store_warns_and_the_run_goes_on(halfway, tmp_path):
    d = tmp_path / "run"
    shutil.copytree(halfway, d)
    (d / "expert.sqlite").write_text("not sqlite")
    assert run_until(d) == "finished"
    db = sqlite3.connect(d / "run.sqlite")
    progress = json.loads(db.execute("SELECT value FROM meta WHERE key = 'progress'").fetchone()[0])
    assert any("expert verdicts not applied" in w and "expert.sqlite" in w for w in progress["warnings"])


def test_a_pairwise_verdict_moves_elo_and_is_exported_as_a_human_pair(halfway, tmp_path):
    d, control = tmp_path / "run", tmp_path / "control"
    shutil.copytree(halfway, d)
    shutil.copytree(halfway, control)
    cfg = tiny_config(**CFG)
    with RunStore(d / "run.sqlite", readonly=True) as store:

        def pool(sid):  # the tournament's Elo pool: volume band, and the family if kept apart
            fam = family_of(store.scenario(sid).primary_typology)
            return (
                volume_band(store.evaluation(sid).funds_integrated, cfg.archive.volume_bins),
                fam if fam in cfg.tournament.separate_families else None,
            )

        cells = sorted(archive(d, 1))
        a, b = next((a, b) for a in cells for b in cells if a < b and pool(a) == pool(b))
    db = sqlite3.connect(d / "run.sqlite")
    with ExpertStore(d) as ex:
        ex.add_pair(a, b, "b", "B's timing looks like payroll; A's does not", "ana")
        ex.add_verdict(a, "realistic", "typical of a small import business", "ana")
    assert run_until(d) == run_until(control) == "finished"
    ((kind, winner, body),) = db.execute(
        "SELECT kind, winner, body FROM matches WHERE id = 'human-000001'"
    ).fetchall()
    assert kind == "human" and winner == "b" and json.loads(body)["judge"] == "human:ana"
    def elo(run, sid):
        sql = "SELECT rating FROM elo_history WHERE round = 2 AND scenario_id = ?"
        return sqlite3.connect(run / "run.sqlite").execute(sql, (sid,)).fetchone()[0]

    assert elo(d, b) > elo(control, b) and elo(d, a) < elo(control, a)
    out = export_run(d, "parquet", tmp_path / "export", all_accepted=True)  # every accepted scenario, a too
    records = {
        r["scenario_id"]: r for r in map(json.loads, (out / "scenarios.jsonl").read_text().splitlines())
    }
    assert (
        records[a]["expert"]["verdict"] == "realistic" and "import business" in records[a]["expert"]["reason"]
    )
    assert all(r["expert"] is None for s, r in records.items() if s != a)
    card = (out / "README.md").read_text()
    assert "expert pairs) | " in card and "realistic / unrealistic" in card
    prefs = export_run(d, "preferences", tmp_path / "prefs")
    rows = [json.loads(x) for x in (prefs / "preferences.jsonl").read_text().splitlines()]
    human = [r for r in rows if r["source"] == "human"]
    assert len(human) == 1 and human[0]["match_id"] == "human-000001" and human[0]["judge"] == "human:ana"
    assert all(r["source"] == "judge" for r in rows if r["match_id"] != "human-000001")


def test_human_weight_scales_the_k_factor():
    plain, heavy = EloTable(), EloTable()
    plain.play("a", "b", "a")
    heavy.play("a", "b", "a", weight=2.0)
    assert heavy.ratings["a"] - 1200 == pytest.approx(2 * (plain.ratings["a"] - 1200))


def test_bad_verdicts_are_refused_with_the_field_and_rule(tmp_path):
    with ExpertStore(tmp_path) as ex:
        with pytest.raises(ExpertError, match="^verdict: must be one of realistic, unrealistic"):
            ex.add_verdict("x", "fake", "because")
        with pytest.raises(ExpertError, match="^reason: required"):
            ex.add_verdict("x", "realistic", "   ")
        with pytest.raises(ExpertError, match="^b: must be another scenario"):
            ex.add_pair("x", "x", "a", "same")
        with pytest.raises(ExpertError, match="^winner: must be 'a' or 'b'"):
            ex.add_pair("x", "y", "tie", "why")
        assert ex.verdicts() == [] and ex.pairs() == []
    (tmp_path / "bad" / "expert.sqlite").parent.mkdir()
    (tmp_path / "bad" / "expert.sqlite").write_text("not sqlite")
    with pytest.raises(ExpertError, match="expert.sqlite: not a readable expert store"):
        ExpertStore(tmp_path / "bad", readonly=True)


def test_the_supervisor_reading_while_the_workspace_creates_the_store_never_fails(tmp_path):
    """The workspace creates ``expert.sqlite`` on its first verdict while the run polls it
    every round: a reader must never see a half-made store (that stopped a live run)."""
    import threading

    failures: list[str] = []

    def read_until_made(run_dir, made: threading.Event):
        while not made.is_set() or not (run_dir / "expert.sqlite").exists():
            if (run_dir / "expert.sqlite").exists():
                try:
                    with ExpertStore(run_dir, readonly=True) as ex:
                        ex.verdicts()
                except ExpertError as err:
                    failures.append(str(err))
                    return
        with ExpertStore(run_dir, readonly=True) as ex:
            assert len(ex.verdicts()) == 1

    for i in range(60):
        run_dir = tmp_path / f"run{i}"
        run_dir.mkdir()
        made = threading.Event()
        reader = threading.Thread(target=read_until_made, args=(run_dir, made))
        reader.start()
        with ExpertStore(run_dir) as ex:
            ex.add_verdict("s1", "unrealistic", "not credible")
        made.set()
        reader.join()
    assert failures == []
