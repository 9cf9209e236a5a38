"""The evolver's parents, drawn from the archive as in Rainbow Teaming: a cell whose elite
has been a parent less often, or that improved recently, is drawn more.

A cell's weight is ``1 / (1 + visits)`` plus ``recent_bonus`` if its elite changed within
the last ``recent_rounds`` rounds; ``visits`` counts the times the cell's elites were drawn
as parents. The counts are the supervisor's state: saved with every closed round and
restored on resume, so a resumed run draws the same parents.
"""

from __future__ import annotations

import numpy as np

from orchestrator.engine.config import ParentsConfig


class ParentPicker:
    """Parent draws over the archive's cells, with the visit and improvement counts."""

    def __init__(self, cfg: ParentsConfig):
        self.cfg = cfg
        self.visits: dict[str, int] = {}  # cell -> times its elites were drawn as parents
        self.changed: dict[str, int] = {}  # cell -> the last round its elite changed
        self.holders: dict[str, str] = {}  # cell -> its elite when the last round closed

    def weights(self, r: int, cells: list[str]) -> np.ndarray:
        """The draw weights of ``cells`` in round ``r`` (before normalising)."""
        if self.cfg.selection == "uniform":
            return np.ones(len(cells))
        bonus = self.cfg.recent_bonus
        return np.array([
            1.0 / (1 + self.visits.get(c, 0))
            + (bonus if r - self.changed.get(c, -(10**9)) <= self.cfg.recent_rounds else 0.0)
            for c in cells
        ])

    def pick(self, r: int, cells: list[str], k: int, rng: np.random.Generator) -> list[int]:
        """Indices (sorted) of ``k`` distinct parents among ``cells``; their visits are counted."""
        k = min(k, len(cells))
        if not k:
            return []
        if self.cfg.selection == "uniform":  # the draw of runs before Rainbow selection existed
            picks = sorted(rng.choice(len(cells), size=k, replace=False).tolist())
        else:
            w = self.weights(r, cells)
            picks = sorted(rng.choice(len(cells), size=k, replace=False, p=w / w.sum()).tolist())
        for i in picks:
            self.visits[cells[i]] = self.visits.get(cells[i], 0) + 1
        return picks

    def close(self, r: int, holders: dict[str, str]) -> None:
        """Round ``r`` closed with ``holders`` (cell -> elite): note the cells that changed."""
        for cell, sid in holders.items():
            if self.holders.get(cell) != sid:
                self.changed[cell] = r
        self.holders = dict(holders)

    def state(self) -> dict:
        return {"visits": self.visits, "changed": self.changed, "holders": self.holders}

    def restore(self, state: dict) -> None:
        self.visits = dict(state.get("visits", {}))
        self.changed = {c: int(r) for c, r in state.get("changed", {}).items()}
        self.holders = dict(state.get("holders", {}))


__all__ = ["ParentPicker"]
