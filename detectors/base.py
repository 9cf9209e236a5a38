"""The detector interface and the registry that maps names to detectors."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np
import pyarrow as pa

from detectors.data import TxData
from detectors.incremental import WorldGraph, as_scenario_data
from detectors.split import TemporalSplit


class Detector(ABC):
    """Scores transactions; higher means more likely laundering.

    ``fit`` trains on the split's training period and picks ``threshold`` on validation.
    ``score`` scores every edge of ``data`` on the graph formed by ``data`` itself.
    """

    name: str = "detector"
    threshold: float = 0.5

    @abstractmethod
    def fit(self, data: TxData, split: TemporalSplit, progress=None) -> Detector: ...

    @abstractmethod
    def score(self, data: TxData) -> np.ndarray: ...

    def prepare(self, data: TxData) -> WorldGraph:
        """What `score_injected` reuses for every scenario; GNNs also build the graph once."""
        return WorldGraph(data, None)

    def score_prepared(self, world_graph: WorldGraph) -> np.ndarray:
        """Scores of every transaction of the prepared World (`score` on its data)."""
        return self.score(world_graph.data)

    def score_injected(self, world_graph: WorldGraph, scenario: pa.Table | TxData) -> np.ndarray:
        """Scores of the scenario's own transactions once injected into ``world_graph``.

        ``scenario`` is compiled rows (new accounts with negative ids) or TxData on the
        World's node ids. The default rescoring of everything is exact; GNNs override it
        with a k-hop update.
        """
        sc = as_scenario_data(scenario, world_graph)
        full = world_graph.data.append(sc)
        return self.score(full)[world_graph.data.n_edges:]

    def save(self, path: str | Path) -> None:
        raise NotImplementedError(f"{self.name} cannot be saved")


REGISTRY: dict[str, callable] = {}


def register(name: str):
    def deco(factory):
        REGISTRY[name] = factory
        return factory
    return deco


def make(name: str, **overrides) -> Detector:
    """A fresh detector by registry name (e.g. 'gine', 'multi-pna', 'lightgbm', 'rules')."""
    if name not in REGISTRY:
        raise KeyError(f"unknown detector '{name}' (known: {', '.join(sorted(REGISTRY))})")
    return REGISTRY[name](**overrides)
