"""A tiny benchmark release end to end, as a user builds, loads, documents and scores it."""

import csv
import json
import re

import numpy as np
import pyarrow.parquet as pq
import pytest

from experiments.cli import main as rl_main
from graph_schema.dsl import Scenario
from graph_schema.typologies import library
from tests.orchestrator.test_cli import one_error_line, run

CONFIG = """
name = "tiny-bench"
version = "0.1.0"
shards = 2
split_days = [18, 6, 6]
pool = "pool.jsonl"
train_seeds = [1, 2]
test_seeds = [3]
baseline_share = 0.002
resamples = 200

[world]
accounts = 1500
days = 30
seed = 5
name = "Tiny"

[take.train]
drafts = 2

[take.validation]
elites = 2
drafts = 1

[baselines.detectors]
lightgbm = {}
rules = {}
"""


def _pool(path):
    """Three elites and three drafts per evolution seed, sampled from the typology templates
    with horizons that fit the 6-day periods."""
    lib, rng, rows = library(), np.random.default_rng(7), []
    names = ["fan_out", "fan_in", "cycle", "scatter_gather", "stack", "bipartite"]
    for seed in (1, 2, 3):
        for i, name in enumerate(names):
            s = lib[name].sample(rng)
            s = s.model_copy(update={"horizon_days": min(s.horizon_days, 4.0)})
            rows.append({"kind": "elite" if i < 3 else "draft", "seed": seed, "arm": "full",
                         "source_id": s.uid, "scenario": s.model_dump(mode="json"),
                         "meta": {"elo": 1000 + i}})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    d = tmp_path_factory.mktemp("release")
    (d / "tiny.toml").write_text(CONFIG)
    _pool(d / "pool.jsonl")
    mp = pytest.MonkeyPatch()
    try:
        assert run(mp, "release", d / "tiny.toml", "--out", d / "out", main=rl_main) == 0
        assert run(mp, "release", d / "tiny.toml", "--out", d / "again", main=rl_main) == 0
        assert run(mp, "release-baselines", d / "out", "--config", d / "tiny.toml", "--predictions",
                   d / "preds", main=rl_main) == 0
    finally:
        mp.undo()
    return d


def test_a_second_build_gives_byte_identical_files(built):
    first = (built / "out" / "MANIFEST.sha256").read_text()
    again = (built / "again" / "MANIFEST.sha256").read_text()
    docs = ("README.md", "DATASHEET.md", "MANIFEST.sha256", "croissant.json", "results.json")
    data = [line for line in first.splitlines() if not line.endswith(docs)]
    assert data and all(line in again for line in data)  # the baselines step changed only documents


def test_training_one_detector_again_keeps_the_others_in_the_table(built, monkeypatch, tmp_path):
    import shutil

    preds = tmp_path / "preds"
    shutil.copytree(built / "preds", preds)
    (preds / "rules.csv").unlink()
    out = tmp_path / "out"
    shutil.copytree(built / "out", out)
    before = json.loads((out / "results.json").read_text())["detectors"]
    assert run(monkeypatch, "release-baselines", out, "--config", built / "tiny.toml", "--predictions", preds,
               "--only", "rules", main=rl_main) == 0
    after = json.loads((out / "results.json").read_text())["detectors"]
    assert sorted(after) == sorted(before) == ["lightgbm", "probe:amount", "rules"]
    assert after == before  # rules retrained to the same scores; the others read back from their files


def test_periods_hold_their_scenarios_and_novel_elites_come_from_test_seeds_only(built):
    meta = json.loads((built / "out" / "release.json").read_text())
    recs = [json.loads(line) for line in (built / "out" / "scenarios.jsonl").read_text().splitlines()]
    cuts = meta["cuts"]
    bounds = {"train": (cuts["train"], cuts["validation"]), "validation": (cuts["validation"], cuts["test"]),
              "test": (cuts["test"], cuts["end"])}
    tables = {s: pq.read_table(built / "out" / "data" / f"{s}.parquet") for s in bounds}
    for s, t in tables.items():
        ts = t.column("timestamp").to_numpy().astype("datetime64[s]").view("int64")
        assert bounds[s][0] <= ts.min() and ts.max() < bounds[s][1]
    for r in recs:
        ids = set(tables[r["split"]].column("scenario_id").to_pylist())
        assert r["placement_id"] in ids, r
        assert Scenario.model_validate(r["scenario"]).uid == r["placement_id"]  # a valid DSL document
    train_sources = {r["source_id"] for r in recs if r["split"] != "test" and r["subset"] != "baseline"}
    test = [r for r in recs if r["split"] == "test" and r["subset"] != "baseline"]
    assert {r["subset"] for r in test} == {"drafts", "novel"}
    assert all(r["evolution_seed"] == 3 and r["source_id"] not in train_sources for r in test)
    assert {r["subset"] for r in recs if r["split"] == "train"} == {"baseline", "drafts", "elites"}
    val = [r["subset"] for r in recs if r["split"] == "validation"]
    assert 0 < val.count("elites") <= 4 and 0 < val.count("drafts") <= 2  # [take.validation], 2 seeds


def test_tx_id_is_the_row_of_the_amlworld_csv(built):
    out = built / "out"
    test = pq.read_table(out / "data" / "test.parquet").to_pydict()
    with open(out / "amlworld" / "Tiny_Trans.csv", newline="") as f:
        rows = list(csv.reader(f))[1:]
    assert len(rows) == json.loads((out / "release.json").read_text())["transactions"]
    for k in (0, len(test["tx_id"]) // 2, len(test["tx_id"]) - 1):
        row = rows[test["tx_id"][k]]
        assert float(row[7]) == pytest.approx(test["amount_paid"][k], abs=0.006)
        assert int(row[10]) == int(test["is_laundering"][k])


def test_card_counts_equal_what_hugging_face_loads(built):
    datasets = pytest.importorskip("datasets")
    card = (built / "out" / "README.md").read_text()
    header = card.split("---")[1]
    counts = dict(re.findall(r"- name: (train|validation|test)\n\s+num_examples: (\d+)", header))
    loaded = datasets.load_dataset("parquet", data_dir=str(built / "out"))
    assert {k: int(v) for k, v in counts.items()} == {k: loaded[k].num_rows for k in loaded}
    assert "license: cc-by-4.0" in header and "## Results" in card and "| rules | novel |" in card
    assert "| probe:amount | all |" in card  # the leak check sits in the table beside the detectors


def test_croissant_validates_and_reads_the_test_records(built):
    mlc = pytest.importorskip("mlcroissant")
    ds = mlc.Dataset(jsonld=str(built / "out" / "croissant.json"))
    first = next(iter(ds.records(record_set="test")))
    test = pq.read_table(built / "out" / "data" / "test.parquet")
    assert first["test/tx_id"] == test.column("tx_id")[0].as_py()
    sheet = (built / "out" / "DATASHEET.md").read_text()
    assert "Leak check: the transaction's amount alone" in sheet
    for part in ("## Motivation", "## Composition", "## Collection process", "## Labels",
                 "## Known biases and leaks", "## Uses", "## Responsible use"):
        assert part in sheet


def test_evaluate_reproduces_the_results_table(built, monkeypatch, capsys):
    table = json.loads((built / "out" / "results.json").read_text())["detectors"]["rules"]
    out = built / "ev.json"
    assert run(monkeypatch, "evaluate", built / "out", built / "preds" / "rules.csv", "--out", out,
               main=rl_main) == 0
    again = json.loads(out.read_text())
    assert again["groups"] == table["groups"]
    assert {"all", "subset:baseline", "subset:drafts", "subset:novel"} <= set(again["groups"])
    assert "funds no alert" in capsys.readouterr().out


def _lines(built):
    return (built / "preds" / "lightgbm.csv").read_text().splitlines()


def _bad_files(built):
    lines = _lines(built)
    head, body = lines[:2], lines[2:]
    first_id = body[0].split(",")[0]
    return {
        "missing": ("\n".join(head + body[:-1]), r"tx_id \d+: test transaction\(s\) without a score"),
        "duplicate": ("\n".join(head + body + [body[-1]]),
                      r":\d+: tx_id \d+: duplicate \(first at line \d+\)"),
        "not a number": ("\n".join(head + [f"{first_id},high"] + body[1:]),
                         r":3: score 'high': not a finite"),
        "not finite": ("\n".join(head + [f"{first_id},nan"] + body[1:]), r":3: score 'nan': not a finite"),
        "bad id": ("\n".join(head + ["x1,0.5"] + body[1:]), r":3: tx_id 'x1': not an integer"),
        "unknown id": ("\n".join(head + body + ["0,0.5"]), r"tx_id 0: not a test or validation transaction"),
        "other release": ("\n".join(["# release: other-bench-v1 0123456789abcdef"] + lines[1:]),
                          r":1: release: the file was written for other-bench-v1"),
        "header": ("\n".join([head[0], "id;score"] + body), r":2: header 'id;score': must be 'tx_id,score'"),
        "fields": ("\n".join(head + [body[0] + ",1"] + body[1:]), r":3: row .*: must be two fields"),
    }


KINDS = ["missing", "duplicate", "not a number", "not finite", "bad id", "unknown id", "other release",
         "header", "fields"]


@pytest.mark.parametrize("kind", KINDS)
def test_each_bad_predictions_file_is_one_line_and_exit_2(built, monkeypatch, capsys, tmp_path, kind):
    text, rule = _bad_files(built)[kind]
    p = tmp_path / "pred.csv"
    p.write_text(text + "\n")
    capsys.readouterr()
    assert run(monkeypatch, "evaluate", built / "out", p, main=rl_main) == 2
    line = one_error_line(capsys.readouterr().err)
    assert str(p.name) in line and re.search(rule, line), line


def test_a_bad_config_and_a_non_release_directory_are_one_line(built, monkeypatch, capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(CONFIG.replace("split_days = [18, 6, 6]", "split_days = [18, 6, 5]"))
    assert run(monkeypatch, "release", bad, "--out", tmp_path / "o", main=rl_main) == 2
    assert "split_days" in one_error_line(capsys.readouterr().err)
    assert not (tmp_path / "o").exists()
    assert run(monkeypatch, "evaluate", tmp_path, built / "preds" / "rules.csv", main=rl_main) == 2
    assert "not a readable redledger release" in one_error_line(capsys.readouterr().err)
