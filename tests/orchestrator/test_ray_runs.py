"""Runs on Ray: actor pools give the same archive as in-process roles; a second process
joins the cluster with --ray-address, is watched with `status` and stopped with `stop`."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.orchestrator.conftest import go, snapshot, tiny_config

pytestmark = pytest.mark.slow


def test_actor_pools_give_the_same_archive(ray_cluster, reference, tmp_path):
    cfg = tiny_config(actors={"critic": 2, "adversary": 2, "evolver": 2})
    # the actor counts are part of the config; the results must not depend on them
    assert go(tmp_path, cfg, inline=False) == "finished"
    got = snapshot(tmp_path)
    assert got == reference


def _cli(*args, **kw):
    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}
    return subprocess.Popen([sys.executable, "-m", "orchestrator.cli", *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def test_join_watch_stop_resume(ray_cluster, tmp_path):
    cfg = tiny_config(budgets={"rounds": 30}, coevolution_period=0)
    (tmp_path / "cfg.toml").write_text(
        'name = "joined"\nseed = 5\npopulation = 6\ndebate_turns = 2\n[budgets]\nrounds = 30\n'
        '[world.generate]\naccounts = 2000\ndays = 10\nseed = 5\n'
        '[detectors]\nnames = ["gine"]\ntraining_share = 0.005\n[detectors.overrides.gine]\nepochs = 15\n')
    run_dir = tmp_path / "run"
    p = _cli("run", tmp_path / "cfg.toml", "--run-dir", run_dir, "--ray-address", ray_cluster)
    deadline = time.monotonic() + 480  # set-up trains two detectors and fits the realism discriminator
    rounds = 0
    while time.monotonic() < deadline and rounds < 2:
        time.sleep(1)
        if (run_dir / "run.sqlite").exists():
            s = _cli("status", run_dir)
            out, err = s.communicate(timeout=60)
            assert s.returncode == 0, err
            db = sqlite3.connect(f"file:{run_dir / 'run.sqlite'}?mode=ro", uri=True)
            rounds = db.execute("SELECT COUNT(*) FROM rounds").fetchone()[0] if db.execute(
                "SELECT name FROM sqlite_master WHERE name = 'rounds'").fetchone() else 0
    assert rounds >= 2, "the run did not get going"
    assert "running" in out  # status is data: standard output
    stop = _cli("stop", run_dir)
    assert stop.wait(60) == 0
    out, err = p.communicate(timeout=240)
    assert p.returncode == 0, err[-2000:]
    assert "stopped" in err and "redledger resume" in err
    db = sqlite3.connect(run_dir / "run.sqlite")
    done = db.execute("SELECT COUNT(*) FROM rounds").fetchone()[0]
    assert 2 <= done < 30
    assert db.execute("SELECT value FROM meta WHERE key = 'status'").fetchone()[0].startswith("stopped")
    assert cfg.budgets.rounds == 30
