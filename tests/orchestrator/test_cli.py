"""The `redledger` CLI as a user drives it: outputs, one-line errors, exit code 2."""

import json
import sys

import pytest

from graph_schema import Scenario
from graph_schema.formats import read_world
from orchestrator.cli import main
from tests.conftest import fan_doc


def run(monkeypatch, *args, main=main) -> int:
    monkeypatch.setattr(sys, "argv", ["redledger", *map(str, args)])
    try:
        main()
    except SystemExit as e:
        return int(e.code or 0)
    return 0


def one_error_line(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def test_world_writes_parquet_and_the_amlworld_triplet(monkeypatch, tmp_path, capsys):
    out = tmp_path / "w"
    assert run(monkeypatch, "world", "--accounts", 2000, "--days", 10, "--seed", 3,
               "--laundering-share", 0.005, "--out", out) == 0
    names = {p.name for p in out.iterdir()}
    assert {"ledger.parquet", "accounts.parquet", "banks.parquet", "world.json", "scenarios.jsonl",
            "World_Trans.csv", "World_accounts.csv", "World_Patterns.txt"} <= names
    w = read_world(out)
    share = w.ledger.column("is_laundering").to_numpy().mean()
    assert 0.004 < share < 0.008
    assert "laundering" in capsys.readouterr().err


def test_world_in_shards_runs_on_ray_and_is_byte_identical_per_seed_and_shards(monkeypatch, tmp_path,
                                                                             ray_cluster):
    args = ["world", "--accounts", 2000, "--days", 10, "--seed", 3, "--laundering-share", 0.005,
            "--shards", 3]
    assert run(monkeypatch, *args, "--out", tmp_path / "a") == 0
    assert run(monkeypatch, *args, "--amlsim", "--out", tmp_path / "b") == 0
    a, b = tmp_path / "a", tmp_path / "b"
    assert sorted(p.name for p in (a / "ledger").iterdir()) == [
        "injected.parquet", "part-00000.parquet", "part-00001.parquet", "part-00002.parquet", "parts.json"]
    for f in [
        "ledger/part-00001.parquet",
        "ledger/injected.parquet",
        "World_Trans.csv",
        "World_Patterns.txt",
    ]:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    assert (b / "transactions.csv").is_file() and not (a / "transactions.csv").exists()
    w = read_world(a)
    assert 0.004 < w.ledger.column("is_laundering").to_numpy().mean() < 0.008


def test_ray_options_need_shards(monkeypatch, tmp_path, capsys):
    assert run(monkeypatch, "world", "--accounts", 500, "--workers", 2, "--out", tmp_path / "o") == 2
    assert "--shards" in one_error_line(capsys.readouterr().err)
    assert not (tmp_path / "o").exists()


def test_config_file_form_equals_the_flags(monkeypatch, tmp_path):
    cfg = tmp_path / "world.toml"
    cfg.write_text("accounts = 2000\ndays = 10\nseed = 3\nlaundering_share = 0.005\n")
    assert run(monkeypatch, "world", "--config", cfg, "--out", tmp_path / "a") == 0
    assert (
        run(
            monkeypatch,
            "world",
            "--accounts",
            2000,
            "--days",
            10,
            "--seed",
            3,
            "--laundering-share",
            0.005,
            "--out",
            tmp_path / "b",
        )
        == 0
    )
    assert (tmp_path / "a" / "ledger.parquet").read_bytes() == (
        tmp_path / "b" / "ledger.parquet"
    ).read_bytes()


@pytest.mark.parametrize(
    "body, field",
    [
        ("accounts = 'many'\n", "accounts"),
        ("days = 0\n", "days"),
        ("colour = 'red'\n", "colour"),
        ("profile_mix = { cash_desk = 1.0 }\n", "profile_mix"),
    ],
)
def test_bad_config_is_one_line_naming_file_and_field(monkeypatch, tmp_path, capsys, body, field):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(body)
    assert run(monkeypatch, "world", "--config", cfg, "--out", tmp_path / "o") == 2
    line = one_error_line(capsys.readouterr().err)
    assert str(cfg) in line and field in line
    assert not (tmp_path / "o").exists()


def test_not_toml_and_missing_file(monkeypatch, tmp_path, capsys):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("accounts = = 3\n")
    assert run(monkeypatch, "world", "--config", cfg, "--out", tmp_path / "o") == 2
    assert "not valid TOML" in one_error_line(capsys.readouterr().err)
    assert run(monkeypatch, "world", "--config", tmp_path / "nope.toml", "--out", tmp_path / "o") == 2
    assert "cannot read" in one_error_line(capsys.readouterr().err)


def test_non_empty_out_needs_force(monkeypatch, tmp_path, capsys):
    out = tmp_path / "o"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert run(monkeypatch, "world", "--accounts", 500, "--out", out) == 2
    assert "--force" in one_error_line(capsys.readouterr().err)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_check_reports_a_bad_scenario_with_file_and_path(monkeypatch, tmp_path, capsys):
    doc = fan_doc()
    doc["transfers"][1]["src"] = "nobody"
    path = tmp_path / "s.json"
    path.write_text(json.dumps(doc))
    assert run(monkeypatch, "check", path) == 2
    line = one_error_line(capsys.readouterr().err)
    assert str(path) in line and "transfers[1].src" in line and "unknown entity 'nobody'" in line


def test_check_prints_the_flows_of_a_good_scenario(monkeypatch, tmp_path, capsys):
    path = tmp_path / "s.json"
    path.write_text(json.dumps(fan_doc()))
    assert run(monkeypatch, "check", path) == 0
    out = capsys.readouterr().out
    assert "origin -> m2" in out and "4 x Wire" in out


def test_typologies_sample_is_a_valid_scenario(monkeypatch, capsys):
    assert run(monkeypatch, "typologies", "--sample", "mule_network", "--seed", 4) == 0
    s = Scenario.model_validate_json(capsys.readouterr().out)
    assert s.primary_typology.value == "mule_network"
    assert run(monkeypatch, "typologies", "--sample", "nope") == 2
