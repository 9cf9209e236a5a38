"""`redledger benchmark` as a user runs it: reports written, bad data refused in one line."""

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from graph_schema.formats import write_amlworld, write_world
from tests.detectors.conftest import planted_world
from tests.orchestrator.test_cli import one_error_line, run


@pytest.fixture(scope="module")
def planted_dir(tmp_path_factory):
    w = planted_world(scenarios=30, accounts=1200)
    d = tmp_path_factory.mktemp("planted")
    write_world(w, d / "world")
    write_amlworld(w, d / "amlworld")
    return d, w


def test_benchmark_writes_metrics_table_and_pr_curve(monkeypatch, planted_dir, tmp_path, capsys):
    d, _ = planted_dir
    out = tmp_path / "bench"
    assert run(monkeypatch, "benchmark", "--data", d / "world", "--detectors", "sage,lightgbm,rules",
               "--epochs", 20, "--out", out) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["detectors"]) == {"sage", "lightgbm", "rules"}
    for m in metrics["detectors"].values():
        assert {"f1", "pr_auc", "recall_at_budget", "per_typology", "threshold"} <= set(m)
    assert metrics["detectors"]["lightgbm"]["per_typology"]["fan_out"]["positives"] > 0
    for m in metrics["detectors"].values():
        for t in m["per_typology"].values():  # per-typology F1, and a recall interval that holds the recall
            assert 0 <= t["f1"] <= 1 and t["recall_ci"][0] <= t["recall"] <= t["recall_ci"][1]
            assert t["f1"] <= 2 * t["recall"] / (1 + t["recall"]) + 1e-9  # F1 never beats perfect precision
    table = (out / "metrics.md").read_text()
    assert "| sage |" in table and "Recall per typology" in table and "| fan_out |" in table
    assert "Minority-class F1 per typology" in table
    # the AMLworld paper's figures are quoted beside ours, for the detectors that have a counterpart
    assert "| lightgbm | LightGBM + graph features | 0.629 |" in table
    assert "| fan_out | fan-out | 0.954 |" in table
    assert (out / "pr_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "models" / "sage" / "weights.pt").is_file()


def test_benchmark_runs_unchanged_on_an_amlworld_triplet(monkeypatch, planted_dir, tmp_path):
    d, _ = planted_dir
    out = tmp_path / "bench"
    assert run(monkeypatch, "benchmark", "--data", d / "amlworld" / "World_Trans.csv",
               "--detectors", "lightgbm", "--out", out) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["detectors"]["lightgbm"]["per_typology"], "typologies come from the Patterns file"


def test_missing_columns_and_no_positives_are_one_line_errors(monkeypatch, planted_dir, tmp_path, capsys):
    _, w = planted_dir
    bad = tmp_path / "bad.parquet"
    pq.write_table(w.ledger.drop_columns(["channel"]), bad)
    assert run(monkeypatch, "benchmark", "--data", bad, "--detectors", "rules", "--out", tmp_path / "o") == 2
    line = one_error_line(capsys.readouterr().err)
    assert "bad.parquet" in line and "missing column(s) channel" in line
    neg = tmp_path / "neg.parquet"
    led = w.ledger.set_column(w.ledger.schema.get_field_index("is_laundering"), "is_laundering",
                              pa.array(np.zeros(w.ledger.num_rows, dtype=bool)))
    pq.write_table(led, neg)
    assert run(monkeypatch, "benchmark", "--data", neg, "--detectors", "rules", "--out", tmp_path / "o") == 2
    assert "no positive labels" in one_error_line(capsys.readouterr().err)
    assert run(monkeypatch, "benchmark", "--data", neg, "--detectors", "nope", "--out", tmp_path / "o") == 2
    assert "unknown detector(s) nope" in one_error_line(capsys.readouterr().err)
