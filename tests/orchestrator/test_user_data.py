"""Nothing a user owns is lost: `--force` replaces only redledger's own output, a bad run
config is refused before any work, a failed start leaves a directory the corrected config
can use, and `stop`, `status` and `check` tell the truth about odd states."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess

import pytest

from orchestrator.engine import open_run
from orchestrator.engine.config import RunConfig
from orchestrator.engine.store import RunStore
from orchestrator.outdir import MARKER, OutDirError, replacing
from tests.orchestrator.conftest import tiny_config

from .test_cli import one_error_line, run


def _user_file(d):
    (d / "keep").mkdir(parents=True)
    (d / "keep" / "f").write_text("mine")


def test_demo_force_refuses_a_directory_holding_user_data(monkeypatch, tmp_path, capsys):
    v = tmp_path / "v"
    _user_file(v)
    assert run(monkeypatch, "demo", "--out", v, "--force") == 2
    line = one_error_line(capsys.readouterr().err)
    assert "holds 'keep', which redledger did not write" in line
    assert (v / "keep" / "f").read_text() == "mine" and sorted(p.name for p in v.iterdir()) == ["keep"]


@pytest.mark.parametrize("where", ["run", "parent", "grandparent"])
def test_export_force_never_replaces_the_run_or_its_parents(
    monkeypatch, finished_run, tmp_path, capsys, where
):
    home = tmp_path / "home"
    r = home / "runs" / "r"
    shutil.copytree(finished_run, r)
    before = sorted(p.relative_to(home).as_posix() for p in home.rglob("*"))
    out = {"run": r, "parent": r.parent, "grandparent": home}[where]
    assert run(monkeypatch, "export", r, "--format", "amlsim", "--out", out, "--force") == 2
    assert f"holds the run directory {r}" in one_error_line(capsys.readouterr().err)
    assert sorted(p.relative_to(home).as_posix() for p in home.rglob("*")) == before


def test_export_onto_a_plain_file_is_refused(monkeypatch, finished_run, tmp_path, capsys):
    f = tmp_path / "notes.txt"
    f.write_text("mine")
    for force in ([], ["--force"]):
        assert run(monkeypatch, "export", finished_run, "--format", "amlsim", "--out", f, *force) == 2
        assert "--out is a file, not a directory" in one_error_line(capsys.readouterr().err)
    assert f.read_text() == "mine"


def test_force_replaces_redledgers_own_output_and_nothing_else(monkeypatch, finished_run, tmp_path, capsys):
    out = tmp_path / "e"
    assert run(monkeypatch, "export", finished_run, "--format", "amlsim", "--out", out) == 0
    assert run(monkeypatch, "export", finished_run, "--format", "amlworld", "--out", out, "--force") == 0
    assert (out / "World_Trans.csv").is_file() and not (out / "transactions.csv").exists()  # replaced whole
    (out / "sub").mkdir()
    (out / "sub" / "analysis.ipynb").write_text("mine")
    capsys.readouterr()
    assert run(monkeypatch, "export", finished_run, "--format", "amlsim", "--out", out, "--force") == 2
    assert "holds 'sub/analysis.ipynb', which redledger did not write" in one_error_line(
        capsys.readouterr().err
    )
    assert (out / "sub" / "analysis.ipynb").read_text() == "mine" and (out / "World_Trans.csv").is_file()


def test_world_force_replaces_its_world_but_not_another_kind_of_output(monkeypatch, tmp_path, capsys):
    w = tmp_path / "w"
    args = ["world", "--accounts", 500, "--days", 5, "--out", w]
    assert run(monkeypatch, *args) == 0
    assert json.loads((w / MARKER).read_text())["kind"] == "world"
    assert run(monkeypatch, *args, "--seed", 4, "--force") == 0
    assert json.loads((w / "world.json").read_text())["seed"] == 4
    capsys.readouterr()
    e = tmp_path / "e"
    e.mkdir()
    (e / "MANIFEST.sha256").write_text("")  # an (empty) export
    assert run(monkeypatch, "world", "--accounts", 500, "--days", 5, "--out", e, "--force") == 2
    assert "holds redledger's export output; --force replaces only world output" in one_error_line(
        capsys.readouterr().err
    )


def test_a_failure_while_writing_keeps_the_old_output(tmp_path):
    out = tmp_path / "o"
    with replacing(out, False, "benchmark") as tmp:
        (tmp / "metrics.json").write_text("old")
    with pytest.raises(RuntimeError), replacing(out, True, "benchmark") as tmp:
        (tmp / "metrics.json").write_text("half")
        raise RuntimeError("the benchmark crashed")
    assert (out / "metrics.json").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]  # no partial sibling left
    with pytest.raises(OutDirError, match="holds the current directory"):
        os.chdir(out)
        try:
            replacing(out, True, "benchmark").__enter__()
        finally:
            os.chdir(tmp_path)


# ---------------------------------------------------------------- config checked before any work


@pytest.mark.parametrize(
    ("sed", "line"),
    [
        ('names = ["gine"]', 'names = ["gin"]'),
        ("[detectors.overrides.gine]\nepochs = 5", "[detectors.overrides.gine]\nepochs = 5\nwings = 2"),
        (
            "# roles",
            '[agents.planner]\nmode = "llm"\nbackend = "b"\n[agents.backends.b]\nkind = "openai"\n'
            'api_key_env = "REDLEDGER_NO_SUCH_KEY"',
        ),
        ("# roles", '[agents]\noperators = ["teleport"]'),
        ("# roles", '[world]\npath = "no/such/world"'),
    ],
)
def test_a_bad_run_config_is_refused_before_any_work(monkeypatch, tmp_path, capsys, sed, line):
    text = ('name = "b"\n[detectors]\nnames = ["gine"]\n[detectors.overrides.gine]\nepochs = 5\n'
            '# roles\n').replace(sed, line)
    cfg = tmp_path / "b.toml"
    cfg.write_text(text)
    monkeypatch.delenv("REDLEDGER_NO_SUCH_KEY", raising=False)
    assert run(monkeypatch, "run", cfg, "--run-dir", tmp_path / "b") == 2
    msg = one_error_line(capsys.readouterr().err)
    expected = {
        '"gin"': "detectors.names: unknown detector(s) gin (known: ",
        "wings": "detectors.overrides.gine.wings: Extra inputs are not permitted",
        "REDLEDGER_NO_SUCH_KEY": "agents.backends.b.api_key_env: environment variable REDLEDGER_NO_SUCH_KEY "
        "is not set",
        "teleport": "agents.operators: unknown name(s) teleport",
        "no/such": "world.path: no/such/world",
    }
    assert msg.startswith(f"error: {cfg}: ") and next(v for k, v in expected.items() if k in line) in msg
    assert not (tmp_path / "b").exists()


def test_a_realism_gate_without_the_discriminator_is_refused_naming_the_principles_file(monkeypatch, tmp_path,
                                                                                     capsys):
    from importlib import resources

    shipped = resources.files("agents").joinpath("principles.toml").read_text()
    principles = tmp_path / "gated.toml"
    principles.write_text(shipped.replace("[critic.discriminator_gate]\nmax_p = 1.0",
                                          "[critic.discriminator_gate]\nmax_p = 0.6"))
    cfg = tmp_path / "g.toml"
    cfg.write_text(f'name = "g"\n[agents]\nprinciples = "{principles}"\n[realism]\nenabled = false\n')
    assert run(monkeypatch, "run", cfg, "--run-dir", tmp_path / "g") == 2
    msg = one_error_line(capsys.readouterr().err)
    assert f"{principles}: critic.discriminator_gate needs the realism discriminator" in msg
    assert not (tmp_path / "g").exists()


def test_a_start_that_failed_in_set_up_is_taken_over_by_the_corrected_config(tmp_path):
    bad = tiny_config(detectors={"names": ["gine"], "training_share": 0.004})
    store, _ = open_run(tmp_path, bad)  # created, then the set-up failed: no round, no debate
    store.close()
    (tmp_path / "world").mkdir()
    (tmp_path / "world" / "world.json").write_text("{}")
    good = tiny_config()
    store, cfg = open_run(tmp_path, good)
    assert cfg == good and store.config() == good
    store.close()
    assert (tmp_path / "world").exists()  # the same World config: it is kept
    store, _ = open_run(tmp_path, tiny_config(world={"generate": {"accounts": 2100, "days": 10, "seed": 5}}))
    store.close()
    assert not (tmp_path / "world").exists()  # another World: the old one goes


def test_status_and_stop_tell_a_dead_set_up_and_a_finished_run_apart(monkeypatch, tmp_path, capsys):
    store, _ = open_run(tmp_path, tiny_config())
    store.set_meta("status", "setting up")
    dead = subprocess.Popen(["true"])
    dead.wait()
    store.set_meta("pid", str(dead.pid))
    store.close()
    assert run(monkeypatch, "status", tmp_path) == 0
    assert "interrupted (no process); resume it" in capsys.readouterr().out
    assert run(monkeypatch, "stop", tmp_path) == 0
    assert "no process is running this run (interrupted" in capsys.readouterr().err
    assert not (tmp_path / "STOP").exists()


def test_stop_on_a_finished_run_writes_no_stop_file(monkeypatch, finished_run, capsys):
    assert run(monkeypatch, "stop", finished_run) == 0
    assert (
        f"{finished_run}: no process is running this run (finished); nothing to stop"
        in capsys.readouterr().err.replace("\n", "")
    )
    assert not (finished_run / "STOP").exists()


def test_check_of_a_file_that_is_not_utf8(monkeypatch, tmp_path, capsys):
    f = tmp_path / "s.json"
    f.write_bytes(b'{"name": "caf\xe9"}')
    assert run(monkeypatch, "check", f) == 2
    assert one_error_line(capsys.readouterr().err) == f"error: {f}: not UTF-8 text (byte 13 is 0xe9)"


# ---------------------------------------------------------------- legible at 80 columns, JSON for scripts


def test_status_and_show_read_at_80_columns_and_in_json(monkeypatch, finished_run, capsys):
    monkeypatch.setenv("COLUMNS", "80")
    assert run(monkeypatch, "status", finished_run) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert all(len(x) <= 80 for x in lines) and "…" not in out
    header = next(x for x in lines if "round" in x and "Elo" in x).split()
    assert header == [
        "round",
        "cand.",
        "fail",
        "cover",
        "QD",
        "Elo",
        "val.ev",
        "case.ev",
        "med.funds",
        "det",
        "s",
    ]
    assert run(monkeypatch, "status", finished_run, "--json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["state"] == "finished" and [r["round"] for r in doc["rounds"]] == [0, 1, 2, 3]
    assert run(monkeypatch, "show", finished_run, "top", "5") == 0
    out = capsys.readouterr().out
    assert all(len(x) <= 80 for x in out.splitlines()) and "…" not in out
    assert run(monkeypatch, "show", finished_run, "top", "5", "--json") == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert len(rows) == 5 and all(r["scenario_id"][:12] in out for r in rows)  # 12-character ids, in full
    for view in (["archive"], ["scenario", rows[0]["scenario_id"][:12]]):
        assert run(monkeypatch, "show", finished_run, *view, "--json") == 0
        assert json.loads(capsys.readouterr().out)
    db = sqlite3.connect(finished_run / "run.sqlite")
    did = db.execute("SELECT id FROM debates LIMIT 1").fetchone()[0]
    assert run(monkeypatch, "show", finished_run, "debate", did[:10], "--json") == 0
    assert json.loads(capsys.readouterr().out)["id"] == did


def test_rounds_count_from_zero_everywhere(finished_run):
    from fastapi.testclient import TestClient

    from orchestrator.web import create_app

    c = TestClient(create_app(finished_run))
    assert c.get("/api/series").json()["round"] == [0, 1, 2, 3]
    assert "after round 3" in c.get("/archive").text
    with RunStore(finished_run / "run.sqlite", readonly=True) as s:
        assert RunConfig.model_validate(s.config()).budgets.rounds == 4 and s.last_round() == 3
