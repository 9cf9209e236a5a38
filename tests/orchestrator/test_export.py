"""Exports as detector code reads them: AMLworld conventions, round trips, DGL graphs,
preference pairs, the card and manifest, identical bytes, and clear refusals."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from graph_schema.formats import read_amlworld, read_world
from graph_schema.tables import CHANNELS
from orchestrator.export import ExportError, export_run

HEADER = ("Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,"
          "Amount Paid,Payment Currency,Payment Format,Is Laundering")


@pytest.fixture(scope="module")
def exports(finished_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("exports")
    return {
        f: export_run(finished_run, f, out / f)
        for f in ("amlworld", "amlsim", "parquet", "dgl", "preferences")
    }


def test_amlworld_conformance(exports):
    d = exports["amlworld"]
    trans = d / "World_Trans.csv"
    lines = trans.read_text().splitlines()
    assert lines[0] == HEADER
    assert (d / "World_accounts.csv").read_text().splitlines()[
        0
    ] == "Bank Name,Bank ID,Account Number,Entity ID,Entity Name"
    rows = list(csv.reader(lines[1:]))
    stamps = [dt.datetime.strptime(r[0], "%Y/%m/%d %H:%M") for r in rows]
    assert stamps == sorted(stamps)
    assert {r[9] for r in rows} <= set(CHANNELS) and {r[10] for r in rows} == {"0", "1"}
    assert all(all(f != "" for f in r) for r in rows)
    patterns = (d / "World_Patterns.txt").read_text()
    blocks = patterns.count("BEGIN LAUNDERING ATTEMPT")
    assert blocks == patterns.count("END LAUNDERING ATTEMPT") >= 1
    # every labelled transaction appears in a pattern block, and nothing else does
    in_blocks = sum(1 for line in patterns.splitlines() if line and not line.startswith(("BEGIN", "END")))
    assert in_blocks == sum(r[10] == "1" for r in rows)


def test_round_trips_give_the_same_ledger(exports):
    p = read_world(exports["parquet"])
    a = read_amlworld(exports["amlworld"] / "World_Trans.csv")
    assert a.ledger.num_rows == p.ledger.num_rows
    for col in ("amount_paid", "amount_received"):
        assert np.allclose(
            a.ledger.column(col).to_numpy(), p.ledger.column(col).to_numpy(), rtol=1e-9, atol=1e-6
        )
    assert (a.ledger.column("is_laundering").to_numpy() == p.ledger.column("is_laundering").to_numpy()).all()
    lines = (exports["parquet"] / "scenarios.jsonl").read_text().splitlines()
    rec = json.loads(lines[0])
    assert {"scenario", "review", "report", "elo", "realism", "evasion", "cell"} <= set(rec)
    sim = (exports["amlsim"] / "transactions.csv").read_text().splitlines()
    assert len(sim) - 1 == p.ledger.num_rows


def test_dgl_graph_has_labels_and_split_masks(exports):
    from detectors._dgl import dgl

    (g,), extra = dgl.load_graphs(str(exports["dgl"] / "graph.bin"))
    masks = [g.edata[m].bool() for m in ("train_mask", "val_mask", "test_mask")]
    assert (masks[0].int() + masks[1].int() + masks[2].int() == 1).all()
    assert int(g.edata["label"].sum()) == int(extra["n_laundering"][0]) > 0
    assert g.edata["feat"].shape[0] == g.num_edges()


def test_preferences_are_dpo_pairs(exports):
    rows = [json.loads(x) for x in (exports["preferences"] / "preferences.jsonl").read_text().splitlines()]
    assert rows and all({"prompt", "chosen", "rejected"} <= set(r) for r in rows)
    assert all(r["chosen"] != r["rejected"] and "Write one scenario" in r["prompt"] for r in rows)


def test_card_and_manifest(exports):
    for d in exports.values():
        card = (d / "README.md").read_text()
        for key in (
            "generation config hash",
            "seed:",
            "code version",
            "Intended use",
            "Responsible use",
            "| typology |",
        ):
            assert key in card
        for line in (d / "MANIFEST.sha256").read_text().splitlines():
            digest, name = line.split("  ")
            assert hashlib.sha256((d / name).read_bytes()).hexdigest() == digest


@pytest.mark.parametrize("fmt", ["amlworld", "amlsim", "parquet", "preferences"])
def test_exporting_twice_gives_identical_bytes(finished_run, exports, tmp_path, fmt):
    again = export_run(finished_run, fmt, tmp_path / fmt)
    assert (again / "MANIFEST.sha256").read_bytes() == (exports[fmt] / "MANIFEST.sha256").read_bytes()


def test_export_refusals_leave_nothing_behind(finished_run, exports, tmp_path):
    with pytest.raises(ExportError, match="directory is not empty; pass --force"):
        export_run(finished_run, "amlsim", exports["amlworld"])
    with pytest.raises(ExportError, match="unknown format 'csv'"):
        export_run(finished_run, "csv", tmp_path / "x")
    with pytest.raises(ExportError, match="no run here"):
        export_run(tmp_path, "amlsim", tmp_path / "y")
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_export_cli_then_benchmark_reads_the_triplet(monkeypatch, finished_run, tmp_path, capsys):
    from tests.orchestrator.test_cli import one_error_line, run

    out = tmp_path / "aml"
    assert run(monkeypatch, "export", finished_run, "--format", "amlworld", "--out", out) == 0
    assert (
        run(
            monkeypatch,
            "benchmark",
            "--data",
            out / "World_Trans.csv",
            "--detectors",
            "rules",
            "--out",
            tmp_path / "bench",
        )
        == 0
    )
    assert (tmp_path / "bench" / "metrics.json").exists()
    capsys.readouterr()
    assert run(monkeypatch, "export", finished_run, "--format", "amlworld", "--out", out) == 2
    assert "not empty; pass --force" in one_error_line(capsys.readouterr().err)


def test_dgl_export_twice_gives_the_same_graph(finished_run, exports, tmp_path):
    # dgl.save_graphs writes uninitialised bytes into its headers, so graph.bin is not
    # byte-identical across saves; what it holds is, and graph.json's digest says so
    from detectors.graph_files import content_digest, load_graphs

    again = export_run(finished_run, "dgl", tmp_path / "dgl")
    first = json.loads((exports["dgl"] / "graph.json").read_text())
    assert (again / "graph.json").read_bytes() == (exports["dgl"] / "graph.json").read_bytes()
    for d in (exports["dgl"], again):
        assert content_digest(*load_graphs(d / "graph.bin")) == first["content_sha256"]
    g, labels = load_graphs(again / "graph.bin")
    g[0].edata["label"][0] = 1 - g[0].edata["label"][0]  # the digest sees a changed label
    assert content_digest(g, labels) != first["content_sha256"]


def test_the_dgl_cards_snippet_loads_the_graph_in_a_fresh_process(exports):
    d = exports["dgl"]
    meta = json.loads((d / "graph.json").read_text())
    card = (d / "README.md").read_text()
    assert meta["load"] in card and "differ between two exports" in card
    code = f"{meta['load']}; print(g.num_nodes(), g.num_edges(), sorted(g.edata.keys()))"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=d,
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split(" ", 2)[:2] == [str(meta["nodes"]), str(meta["edges"])]
    assert sorted(meta["edata"]) == eval(done.stdout.split(" ", 2)[2])  # noqa: S307 - our own printed list


def test_a_run_without_archive_is_not_exported(tmp_path):
    from orchestrator.engine import open_run
    from tests.orchestrator.conftest import tiny_config

    open_run(tmp_path / "run", tiny_config())[0].close()
    with pytest.raises(ExportError, match="the run has no archive yet"):
        export_run(tmp_path / "run", "parquet", tmp_path / "out")
    assert not (tmp_path / "out").exists()
