"""Runs as a user sees them: deterministic, resumable after a stop or a SIGKILL, robust to
failing roles, and refusing a run directory of another config."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from orchestrator.engine import RunDirError, open_run
from tests.orchestrator.conftest import go, llm_judge_config, snapshot, tiny_config
from tests.orchestrator.test_cli import one_error_line, run


def test_same_seed_and_config_give_the_same_archive(reference, tmp_path):
    assert go(tmp_path, tiny_config()) == "finished"
    assert snapshot(tmp_path) == reference
    assert len(reference["rounds"]) == 4 and reference["archive"]
    assert reference["versions"] == [(0, -1), (1, 1)]  # co-evolution after round 2 (index 1)


def test_a_graceful_stop_then_resume_equals_an_uninterrupted_run(reference, tmp_path):
    # the progress callback asks for a stop in the middle of round 1, as Ctrl-C would
    status = go(tmp_path, tiny_config(), on_progress=lambda p: p.round == 1 and p.done >= 2)
    assert status == "stopped"
    partial = snapshot(tmp_path)
    assert len(partial["rounds"]) == 1 and len(partial["debates"]) > 6
    assert go(tmp_path, None) == "finished"
    assert snapshot(tmp_path) == reference


def test_a_stop_that_lands_with_the_last_debate_leaves_the_round_open(reference, tmp_path):
    # on a fast machine every debate of a round can come back before a stop takes effect;
    # the round must stay open all the same, so where the stop lands cannot change the run
    cfg = tiny_config()
    last = lambda p: p.round == 1 and p.status == "debating" and p.done == cfg.population  # noqa: E731
    assert go(tmp_path, cfg, on_progress=last) == "stopped"
    partial = snapshot(tmp_path)
    assert len(partial["rounds"]) == 1 and len(partial["debates"]) == 2 * cfg.population
    assert go(tmp_path, None) == "finished"
    assert snapshot(tmp_path) == reference


def _debates(run_dir: Path) -> int:
    try:
        db = sqlite3.connect(f"file:{run_dir / 'run.sqlite'}?mode=ro", uri=True, timeout=5)
        return db.execute("SELECT COUNT(*) FROM debates").fetchone()[0]
    except sqlite3.Error:
        return 0


def _kill_and_resume(run_dir: Path, kills: list[tuple[int, float]]) -> int:
    """For each (debates stored, extra seconds): start the run, SIGKILL it once the store
    holds that many debates plus the extra time, then resume it to the end. Returns the
    rounds closed before the final resume."""
    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}
    for target, extra in kills:
        p = subprocess.Popen(
            [sys.executable, "-m", "orchestrator.cli", "resume", str(run_dir), "--inline"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while _debates(run_dir) < target and p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(extra)
        p.send_signal(signal.SIGKILL)
        p.wait()
    before = sqlite3.connect(run_dir / "run.sqlite").execute("SELECT COUNT(*) FROM rounds").fetchone()[0]
    r = subprocess.run(
        [sys.executable, "-m", "orchestrator.cli", "resume", str(run_dir), "--inline"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    return before


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["procedural", "llm-judge"])
def test_sigkill_at_random_moments_then_resume(kind, tmp_path, reference):
    cfg = tiny_config() if kind == "procedural" else llm_judge_config()
    if kind == "llm-judge":
        ref_dir = tmp_path / "ref"
        assert go(ref_dir, cfg) == "finished"
        expect = snapshot(ref_dir)
    else:
        expect = reference
    run_dir = tmp_path / "killed"
    open_run(run_dir, cfg)[0].close()  # the run exists; every process below resumes it
    rng = np.random.default_rng(0 if kind == "procedural" else 1)
    # once during set-up (World, detector training), then at random points of the rounds
    targets = sorted(rng.choice(np.arange(1, 24), size=3, replace=False).tolist())
    kills = [(0, 2.0)] + [(int(t), float(rng.uniform(0, 0.3))) for t in targets]
    before = _kill_and_resume(run_dir, kills)
    assert before < 4  # the kills did interrupt the run
    got = snapshot(run_dir)
    assert got == expect
    db = sqlite3.connect(run_dir / "run.sqlite")
    assert db.execute("SELECT COUNT(*), COUNT(DISTINCT round || '/' || slot) FROM debates").fetchone() == (
        24,
        24,
    )
    if kind == "llm-judge":
        assert db.execute("SELECT COUNT(*) FROM llm_calls").fetchone()[0] > 0


def test_failing_roles_do_not_stop_a_run(tmp_path):
    cfg = tiny_config(faults={"rate": 0.3, "timeout_share": 0.3}, call_timeout_s=1.0, budgets={"rounds": 2})
    assert go(tmp_path, cfg) == "finished"
    db = sqlite3.connect(tmp_path / "run.sqlite")
    causes = [r[0] for r in db.execute("SELECT cause FROM failures")]
    assert causes and all(c for c in causes)
    assert any("injected fault" in c for c in causes) and any("timed out after 1 s" in c for c in causes)
    assert db.execute("SELECT COUNT(*) FROM rounds").fetchone()[0] == 2
    assert db.execute("SELECT COUNT(*) FROM debates").fetchone()[0] == 12


def test_a_run_dir_of_another_config_is_refused(tmp_path):
    assert go(tmp_path, tiny_config(budgets={"rounds": 1})) == "finished"
    with pytest.raises(
        RunDirError, match=r"belongs to a different config; first difference: seed \(6 here, 5 in the run\)"
    ):
        open_run(tmp_path, tiny_config(seed=6, budgets={"rounds": 1}))


def test_cli_bad_input_and_finished_runs(monkeypatch, tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("population = 0\n")
    assert run(monkeypatch, "run", bad, "--run-dir", tmp_path / "r") == 2
    assert "bad.toml: population: Input should be greater than or equal to 1" in one_error_line(
        capsys.readouterr().err
    )
    assert run(monkeypatch, "resume", tmp_path / "nothing") == 2
    assert "no run to resume here" in one_error_line(capsys.readouterr().err)
    done = tmp_path / "done"
    assert go(done, tiny_config(budgets={"rounds": 1})) == "finished"
    assert run(monkeypatch, "resume", done, "--inline") == 0
    assert "already finished" in capsys.readouterr().err
    assert run(monkeypatch, "status", done) == 0
    assert "finished" in capsys.readouterr().out


def test_shipped_configs_load(monkeypatch, tmp_path, capsys):
    from pathlib import Path

    from orchestrator.cli.common import UsageError, load_toml_model
    from orchestrator.engine.config import RunConfig

    configs = Path(__file__).parents[2] / "experiments" / "configs"
    q = load_toml_model(configs / "quickstart.toml", RunConfig, {})
    assert q.agents.llm_roles() == []
    monkeypatch.delenv("REDLEDGER_BASE_URL", raising=False)
    with pytest.raises(
        UsageError,
        match=r"llm.toml: agents.backends.main.base_url: environment variable "
        r"REDLEDGER_BASE_URL is not set",
    ):
        load_toml_model(configs / "llm.toml", RunConfig, {})
    monkeypatch.setenv("REDLEDGER_BASE_URL", "http://127.0.0.1:8000/v1")
    monkeypatch.setenv("REDLEDGER_MODEL", "some-model")
    cfg = load_toml_model(configs / "llm.toml", RunConfig, {})
    assert len(cfg.agents.llm_roles()) == 5 and cfg.agents.backends["main"].model == "some-model"


def test_budgets_end_a_run(tmp_path):
    # the scripted judge spends tokens; a budget of one token ends the run after one round
    assert go(tmp_path / "t", llm_judge_config(budgets={"rounds": 4, "llm_tokens": 1})) == "token budget"
    assert len(snapshot(tmp_path / "t")["rounds"]) == 1
    assert (
        go(tmp_path / "w", tiny_config(budgets={"rounds": 4, "wall_clock_s": 0.001})) == "wall-clock budget"
    )


def test_coevolution_records_the_new_defender(reference, tmp_path):
    import json

    go(tmp_path, tiny_config())
    db = sqlite3.connect(tmp_path / "run.sqlite")
    (metrics,) = db.execute("SELECT metrics FROM detector_versions WHERE version = 1").fetchone()
    m = json.loads(metrics)
    assert m["elites"] > 0 and 0 <= m["archive_recall"] <= 1 and "gine" in m
    rescored = db.execute("SELECT COUNT(*) FROM evaluations WHERE detector_version = 1").fetchone()[0]
    assert rescored >= len([r for r in reference["archive"]]) // 2
    assert [r[0] for r in db.execute("SELECT detector_version FROM rounds ORDER BY round")] == [0, 0, 1, 1]


def test_each_defender_version_saves_its_scores_of_the_world(reference, tmp_path):
    """The adversaries read their alert thresholds from these instead of each scoring the
    whole World; they must be the detector's own scores of the run's World."""
    from detectors import from_ledger, load_detector
    from graph_schema.formats import read_world

    go(tmp_path, tiny_config())
    world = read_world(tmp_path / "world")
    data = from_ledger(world.ledger, world.n_accounts)
    for v in (0, 1):
        saved = np.load(tmp_path / "detectors" / f"v{v}" / "world_scores" / "gine.npy")
        fresh = load_detector(tmp_path / "detectors" / f"v{v}" / "gine").score(data)
        np.testing.assert_allclose(saved, np.sort(fresh), atol=1e-6)


@pytest.mark.slow
def test_ctrl_c_stops_gracefully(tmp_path):
    run_dir = tmp_path / "run"
    open_run(run_dir, tiny_config(budgets={"rounds": 40}, coevolution_period=0))[0].close()
    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}
    p = subprocess.Popen(
        [sys.executable, "-m", "orchestrator.cli", "resume", str(run_dir), "--inline"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        time.sleep(0.5)
        db = sqlite3.connect(f"file:{run_dir / 'run.sqlite'}?mode=ro", uri=True)
        if db.execute("SELECT COUNT(*) FROM rounds").fetchone()[0] >= 1:
            break
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err[-1500:]
    assert "stopped" in err
    db = sqlite3.connect(run_dir / "run.sqlite")
    assert db.execute("SELECT value FROM meta WHERE key = 'status'").fetchone()[0] == "stopped"
    assert 1 <= db.execute("SELECT COUNT(*) FROM rounds").fetchone()[0] < 40


def test_stable_top_elo_ends_a_run(tmp_path):
    cfg = tiny_config(
        budgets={"rounds": 30}, coevolution_period=0, tournament={"stable_rounds": 1, "top_k": 3}
    )
    assert go(tmp_path, cfg) == "Elo ranks stable"
    rounds = snapshot(tmp_path)["rounds"]
    assert 2 <= len(rounds) < 30
    db = sqlite3.connect(tmp_path / "run.sqlite")
    top = [
        r[0]
        for r in db.execute(
            "SELECT scenario_id FROM elo_history WHERE round = ? ORDER BY rating DESC, scenario_id LIMIT 3",
            (len(rounds) - 1,),
        )
    ]
    before = [
        r[0]
        for r in db.execute(
            "SELECT scenario_id FROM elo_history WHERE round = ? ORDER BY rating DESC, scenario_id LIMIT 3",
            (len(rounds) - 2,),
        )
    ]
    assert top == before  # the top-3 did not change in the last round
    assert go(tmp_path, None) == "Elo ranks stable"  # resuming respects the stop condition


def test_the_realism_discriminator_is_fitted_refitted_and_consulted(finished_run):
    import json

    from agents.models import Review

    fits = sorted(p.name for p in (finished_run / "realism").glob("r*.json"))
    assert fits == ["r-001.json", "r0001.json"]  # before round 0, and after round 1 (period 2)
    refit = json.loads((finished_run / "realism" / "r0001.json").read_text())["info"]
    assert refit["templates"] == 60 and refit["run_scenarios"] > 0
    db = sqlite3.connect(finished_run / "run.sqlite")
    reviews = [Review.model_validate_json(b) for (b,) in db.execute("SELECT body FROM reviews")]
    told = [c for r in reviews for c in r.checks if c.name == "realism_discriminator"]
    compiled = [r for r in reviews if r.checks[0].name != "compiles"]
    assert compiled and len(told) == len(compiled)  # every compiled scenario faced it
    assert any(c.score < 1 and c.features for c in told)  # and some gave themselves away


def test_a_run_without_the_realism_discriminator_neither_fits_nor_consults_it(tmp_path):
    cfg = tiny_config(realism={"enabled": False}, budgets={"rounds": 1}, population=3)
    assert go(tmp_path, cfg) == "finished"
    assert not (tmp_path / "realism").exists()
    db = sqlite3.connect(tmp_path / "run.sqlite")
    assert not [b for (b,) in db.execute("SELECT body FROM reviews") if "realism_discriminator" in b]
