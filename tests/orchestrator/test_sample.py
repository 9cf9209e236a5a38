"""The released sample (datasets/sample) is what its documented command produces."""

from __future__ import annotations

from pathlib import Path

from tests.experiments.test_experiment import run

SAMPLE = Path(__file__).parents[2] / "datasets" / "sample"


def test_sample_is_reproducible_and_small(monkeypatch, tmp_path):
    assert sum(p.stat().st_size for p in SAMPLE.iterdir()) <= 5_000_000
    assert "redledger sample --out datasets/sample" in (SAMPLE / "README.md").read_text()
    assert run(monkeypatch, "sample", "--out", tmp_path / "s") == 0
    assert (tmp_path / "s" / "MANIFEST.sha256").read_text() == (SAMPLE / "MANIFEST.sha256").read_text()
    card = (SAMPLE / "README.md").read_text()
    assert "## E1: hardness on detectors this run never saw" in card
    assert "| evolved elites | gine@1 |" in card and "| baseline templates | rules |" in card
