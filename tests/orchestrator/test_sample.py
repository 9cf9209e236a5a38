"""The released sample (datasets/sample) is what its documented command produces.

Its data files are pinned exactly. Its card's E1 table is measured by detectors trained for
the card, whose last float bits differ between CPU families (AVX-512 against AVX2 kernels):
there every figure may move by at most one scenario's share (100 / n points) and every
other byte of the card is pinned."""

from __future__ import annotations

import re
from pathlib import Path

from tests.experiments.test_experiment import run

SAMPLE = Path(__file__).parents[2] / "datasets" / "sample"
NUMBER = re.compile(r"\d+\.\d")


def _manifest(d: Path) -> dict[str, str]:
    return {name: digest for digest, name in (line.split("  ") for line in
                                              (d / "MANIFEST.sha256").read_text().splitlines())}


def _e1_rows(card: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip("|").split("|")] for line in card.splitlines()
            if line.startswith(("| baseline templates", "| round-0 drafts", "| evolved elites"))]


def test_sample_is_reproducible_and_small(monkeypatch, tmp_path):
    assert sum(p.stat().st_size for p in SAMPLE.iterdir()) <= 5_000_000
    assert "redledger sample --out datasets/sample" in (SAMPLE / "README.md").read_text()
    assert run(monkeypatch, "sample", "--out", tmp_path / "s") == 0
    got, want = _manifest(tmp_path / "s"), _manifest(SAMPLE)
    got.pop("README.md"), want.pop("README.md")
    assert got == want
    card, pinned = (tmp_path / "s" / "README.md").read_text(), (SAMPLE / "README.md").read_text()
    assert NUMBER.sub("#", card) == NUMBER.sub("#", pinned)  # every byte but the measured figures
    rows, pinned_rows = _e1_rows(card), _e1_rows(pinned)
    assert [r[:2] + r[-1:] for r in rows] == [r[:2] + r[-1:] for r in pinned_rows] and rows
    for row, old in zip(rows, pinned_rows, strict=True):
        step = 100 / int(old[-1])
        new, was = NUMBER.findall(" ".join(row[2:-1])), NUMBER.findall(" ".join(old[2:-1]))
        for a, b in zip(new, was, strict=True):
            assert abs(float(a) - float(b)) <= step + 0.05, (row, old)
    assert "## E1: hardness on detectors this run never saw" in card
    assert "| evolved elites | gine@1 |" in card and "| baseline templates | rules |" in card
