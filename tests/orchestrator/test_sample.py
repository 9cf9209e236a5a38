"""The released sample (datasets/sample) is what its documented command produces: a miniature
of the benchmark release, built by the same code path (`redledger release`), pinned byte for
byte."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq

from tests.experiments.test_experiment import run

SAMPLE = Path(__file__).parents[2] / "datasets" / "sample"


def _manifest(d: Path) -> dict[str, str]:
    return {name: digest for digest, name in (line.split("  ") for line in
                                              (d / "MANIFEST.sha256").read_text().splitlines())}


def test_sample_is_reproducible_and_small(monkeypatch, tmp_path):
    files = [p for p in SAMPLE.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) <= 6_000_000
    assert run(monkeypatch, "sample", "--out", tmp_path / "s") == 0
    pinned = _manifest(SAMPLE)
    assert _manifest(tmp_path / "s") == pinned
    # every committed file is in the manifest, with the manifest's digest
    assert {p.relative_to(SAMPLE).as_posix() for p in files} == set(pinned) | {"MANIFEST.sha256"}
    for name, digest in pinned.items():
        assert hashlib.sha256((SAMPLE / name).read_bytes()).hexdigest() == digest, name


def test_sample_is_a_benchmark_release_with_novel_elites_in_test_only():
    meta = json.loads((SAMPLE / "release.json").read_text())
    assert meta["slug"] == "redledger-sample-v1" and not meta["dropped"]
    assert meta["splits"]["test"]["scenarios_by_subset"]["novel"] > 0
    scen = [json.loads(line) for line in (SAMPLE / "scenarios.jsonl").read_text().splitlines()]
    test_sources = {s["source_id"] for s in scen if s["split"] == "test" and s["subset"] != "baseline"}
    seen = {s["source_id"] for s in scen if s["split"] != "test"}
    assert test_sources and not test_sources & seen
    # the card's row counts are the files'
    card = (SAMPLE / "README.md").read_text()
    for split in ("train", "validation", "test"):
        rows = pq.ParquetFile(SAMPLE / "data" / f"{split}.parquet").metadata.num_rows
        assert rows == meta["splits"][split]["rows"] and f"num_examples: {rows}" in card
    # AMLworld's CSV triplet, which IBM's Multi-GNN reads unchanged
    assert {"amlworld/Sample_Trans.csv", "amlworld/Sample_accounts.csv"} <= set(_manifest(SAMPLE))
