"""Read access to an experiment's stored cells, and estimates as JSON."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from experiments.effect.cells import load_cell
from experiments.effect.config import ExperimentConfig
from experiments.effect.stats import Estimate


def as_json(e: Estimate | None) -> dict | None:
    return e.as_dict() if e is not None else None


class Cells:
    """Read access to an experiment's stored cells."""

    def __init__(self, cfg: ExperimentConfig, out: Path):
        self.cfg, self.out = cfg, out
        self.dets = list(cfg.heldout.detectors)
        self._neg: dict[str, np.ndarray] = {}
        self._thr: dict[str, dict[str, float]] = {}

    def negatives(self, det: str) -> np.ndarray:
        if det not in self._neg:
            self._neg[det] = np.load(self.out / "detectors" / det / "negatives.npy")
        return self._neg[det]

    def thresholds(self, det: str) -> dict[str, float]:
        """Detector ``det``'s alert threshold per budget in B (read once)."""
        if det not in self._thr:
            self._thr[det] = load_cell(self.out, f"heldout/{det}")["thresholds"]
        return self._thr[det]

    def measured(self, group: str, det: str, kind: str) -> dict:
        return load_cell(self.out, f"measure/{group}/{det}")[kind]

    def records(self, arm: str | None, kind: str, det: str) -> list[dict]:
        """Records of a kind for an arm (pooled over seeds) or of the baseline group."""
        if kind == "baseline":
            return self.measured("baseline", det, "baseline")["records"]
        return [r for s in self.cfg.seeds for r in self.measured(f"{arm}-s{s}", det, kind)["records"]]

    def failed(self, arm: str | None, kind: str) -> dict[str, str]:
        det = self.dets[0]
        if kind == "baseline":
            return self.measured("baseline", det, "baseline")["failed"]
        return {
            k: v for s in self.cfg.seeds for k, v in self.measured(f"{arm}-s{s}", det, kind)["failed"].items()
        }

    def evolve(self, arm: str, seed: int) -> dict:
        return load_cell(self.out, f"evolve/{arm}-s{seed}")


__all__ = ["Cells", "as_json"]
