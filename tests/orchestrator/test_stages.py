"""Stage switches of the loop (for ablations) and the contrastive filter, as a run shows them."""

from __future__ import annotations

import sqlite3

from orchestrator.engine.store import RunStore
from orchestrator.engine.supervisor import Supervisor
from tests.orchestrator.conftest import go, tiny_config


def _rounds(run_dir):
    db = sqlite3.connect(run_dir / "run.sqlite")
    rows = db.execute("SELECT filter_kept, filter_dropped FROM rounds ORDER BY round").fetchall()
    archive = [r[0] for r in db.execute(
        "SELECT scenario_id FROM archive_cells WHERE round = (SELECT MAX(round) FROM rounds)")]
    accepted = db.execute("SELECT COUNT(*) FROM reviews WHERE accepted = 1").fetchone()[0]
    return rows, archive, accepted


def test_a_reference_that_catches_almost_nothing_filters_almost_every_candidate(tmp_path):
    """Budget ~0: the reference ensemble alerts only transactions that score above every
    transaction of the World; accepted candidates without such a transaction are noise to
    the filter and stay out of the archive, and only those it catches get in. With the
    filter off, the same loop keeps them."""
    cfg = tiny_config(budgets={"rounds": 2}, coevolution_period=0,
                      contrastive={"reference": ["sage"], "budget": 1e-9})
    assert go(tmp_path / "on", cfg) == "finished"
    rows, archive, accepted = _rounds(tmp_path / "on")
    kept, dropped = sum(k for k, _ in rows), sum(d for _, d in rows)
    assert accepted > 0 and dropped > 0 and len(archive) <= kept
    with RunStore(tmp_path / "on" / "run.sqlite", readonly=True) as store:
        assert all(store.evaluation(sid).reference_caught is True for sid in archive)
    off = cfg.model_copy(update={"contrastive": cfg.contrastive.model_copy(update={"enabled": False})})
    assert go(tmp_path / "off", off) == "finished"
    rows, archive, _ = _rounds(tmp_path / "off")
    assert len(archive) > 0 and sum(d for _, d in rows) == 0 and sum(k for k, _ in rows) > 0
    assert not (tmp_path / "off" / "detectors" / "v0" / "sage").exists()  # no reference without the filter


def test_the_reference_detector_is_trained_with_the_deployed_ones(tmp_path):
    cfg = tiny_config(budgets={"rounds": 1}, coevolution_period=0)
    go(tmp_path, cfg)
    assert (tmp_path / "detectors" / "v0" / "sage").is_dir() and (
        tmp_path / "detectors" / "v0" / "gine"
    ).is_dir()
    with RunStore(tmp_path / "run.sqlite", readonly=True) as store:
        rows = store.rounds()
    assert rows[0]["filter_kept"] + rows[0]["filter_dropped"] > 0


def test_without_brief_encoding_the_planner_gets_only_the_typology(tmp_path):
    from orchestrator.engine import open_run

    cfg = tiny_config(stages={"brief_encoding": False})
    store, cfg = open_run(tmp_path, cfg)
    try:
        sup = Supervisor(cfg, store, calls=None)
        briefs = [s["brief"] for s in sup.slots(0)]
        assert briefs and all(
            b.channels == []
            and b.jurisdictions == []
            and b.avoid == []
            and b.actors == []
            and b.complexity == 2
            for b in briefs
        )
        full = Supervisor(tiny_config(), store, calls=None).slots(0)
        assert [b.typology for b in briefs] == [s["brief"].typology for s in full]
        assert any(s["brief"].complexity != 2 or s["brief"].channels or s["brief"].avoid for s in full)
    finally:
        store.close()
