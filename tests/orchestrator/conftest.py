"""Small run configs for the orchestrator tests."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from orchestrator.engine import execute, open_run
from orchestrator.engine.config import RunConfig

JUDGE_SAYS_A = json.dumps({"winner": "a", "confidence": 0.7, "rationale": "evasion: A is less exposed"})


def tiny_config(**over) -> RunConfig:
    """A run of a few seconds: 2,000 accounts, a quick GINe, 4 rounds of 6 debates."""
    doc = {
        "name": "tiny",
        "seed": 5,
        "population": 6,
        "debate_turns": 2,
        "concurrency": 3,
        "coevolution_period": 2,
        "world": {"generate": {"accounts": 2000, "days": 10, "seed": 5}},
        "detectors": {
            "names": ["gine"],
            "training_share": 0.005,
            "overrides": {"gine": {"epochs": 15}, "sage": {"epochs": 15}},
        },
        "budgets": {"rounds": 4},
    }
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(doc.get(k), dict):
            doc[k] = {**doc[k], **v}
        else:
            doc[k] = v
    return RunConfig.model_validate(doc)


def llm_judge_config(**over) -> RunConfig:
    """tiny_config with the judge played by a (scripted) chat model."""
    agents = {
        "judge": {"mode": "llm", "backend": "fake"},
        "judge_swap_check": False,
        "backends": {"fake": {"kind": "scripted", "script": [JUDGE_SAYS_A] * 400}},
    }
    return tiny_config(agents=agents, **over)


def go(run_dir: Path, cfg, **kw) -> str:
    store, cfg = open_run(run_dir, cfg)
    try:
        return asyncio.run(execute(run_dir, store, cfg, inline=kw.pop("inline", True), **kw))
    finally:
        store.close()


def snapshot(run_dir: Path) -> dict:
    db = sqlite3.connect(run_dir / "run.sqlite")
    last = db.execute("SELECT MAX(round) FROM rounds").fetchone()[0]
    q = lambda sql, *a: sorted(db.execute(sql, a).fetchall())  # noqa: E731
    return {
        "archive": q("SELECT cell, scenario_id, round(quality, 9) FROM archive_cells WHERE round = ?", last),
        "elo": q("SELECT scenario_id, round(rating, 9), games FROM elo_history WHERE round = ?", last),
        "scenarios": q("SELECT id FROM scenarios"),
        "matches": q("SELECT id, winner FROM matches"),
        "debates": q("SELECT id, outcome, final_scenario FROM debates"),
        "rounds": q("SELECT round, candidates, round(coverage, 9), round(qd_score, 9) FROM rounds"),
        "versions": q("SELECT version, round FROM detector_versions"),
    }


@pytest.fixture(scope="session")
def finished_run(tmp_path_factory) -> Path:
    """An uninterrupted run of the tiny config (procedural roles); do not modify it."""
    d = tmp_path_factory.mktemp("ref")
    assert go(d, tiny_config()) == "finished"
    return d


@pytest.fixture(scope="session")
def reference(finished_run):
    return snapshot(finished_run)


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory):
    """The one Ray instance of the test session; yields its address for other processes."""
    import os

    import ray

    tmp = tmp_path_factory.mktemp("ray")
    os.environ["RAY_TMPDIR"] = str(tmp)
    os.environ["RAY_AUTH_MODE"] = "disabled"
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _temp_dir=str(tmp))
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()
