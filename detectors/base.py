"""The detector interface and the registry that maps names to detectors."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow as pa

from detectors.data import TxData
from detectors.incremental import WorldGraph, scenario_parts
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

    def prepare(self, data: TxData, shared: dict | None = None) -> WorldGraph:
        """What `score_injected` reuses for every scenario; GNNs also build the graph once.

        ``shared`` (optional) keeps prepared Worlds by what they depend on, so that detectors
        with the same inputs on the same ``data`` share one instead of each holding a copy.
        """
        return WorldGraph(data, None)

    def score_prepared(self, world_graph: WorldGraph) -> np.ndarray:
        """Scores of every transaction of the prepared World (`score` on its data)."""
        return self.score(world_graph.data)

    def score_injected(self, world_graph: WorldGraph, scenario: pa.Table | TxData,
                       shared: dict | None = None) -> np.ndarray:
        """Scores of the scenario's own transactions once injected into ``world_graph``.

        ``scenario`` is compiled rows (new accounts with negative ids) or TxData on the
        World's node ids. The default rescoring of everything is exact; GNNs override it
        with a k-hop update. ``shared`` (optional, one per scenario) lets detectors scoring
        the same scenario share work that does not depend on their weights.
        """
        sc, ridden = scenario_parts(scenario, world_graph)
        if ridden is not None:
            return self.score_riding(world_graph, sc, ridden)
        full = world_graph.data.append(sc)
        return self.score(full)[world_graph.data.n_edges:]

    def score_riding(self, world_graph: WorldGraph, sc: TxData, ridden: np.ndarray) -> np.ndarray:
        """Scores of a scenario some of whose rows ride background payments (edges ``ridden``
        of the World, which those rows are, labelled): the World without those edges plus every
        scenario row, rescored in full. Exact for every detector, and as slow as `score`."""
        keep = np.ones(world_graph.data.n_edges, dtype=bool)
        keep[ridden] = False
        base = world_graph.data.subset(keep)
        return np.asarray(self.score(base.append(sc)))[base.n_edges:]

    def score_many(self, world_graph: WorldGraph, scenarios: list[pa.Table | TxData],
                   batch: int = 64) -> list[np.ndarray]:
        """`score_injected` of each scenario on its own, for many scenarios.

        Detectors with a k-hop update (GNNs) score one scenario at a time. The others rescore
        the whole World, so scenarios whose accounts are disjoint are injected together, up to
        ``batch`` at a time, each scenario's new accounts numbered apart: every feature of
        those detectors reads only edges that touch a transaction's own accounts (degrees,
        windows, pass-through, 2- and 3-cycles through both endpoints), so a scenario's scores
        equal its scores alone (tested).
        """
        k_hop = type(self).score_injected is not Detector.score_injected
        alone = [i for i, sc in enumerate(scenarios) if k_hop or getattr(sc, "rides", False)]
        if alone:  # scored one at a time: with a k-hop update, or riding World edges
            rest = [i for i in range(len(scenarios)) if i not in set(alone)]
            out = {i: np.asarray(self.score_injected(world_graph, scenarios[i])) for i in alone}
            batched = self.score_many(world_graph, [scenarios[i] for i in rest], batch)
            out.update(zip(rest, batched, strict=True))
            return [out[i] for i in range(len(scenarios))]
        data = [scenario_parts(sc, world_graph)[0] for sc in scenarios]
        n = world_graph.data.n_nodes
        batches: list[tuple[list[int], set]] = []
        for i, d in enumerate(data):
            own = set(np.unique(np.concatenate([d.src, d.dst])[np.concatenate([d.src, d.dst]) < n]).tolist())
            home = next((b for b in batches if len(b[0]) < batch and not (own & b[1])), None)
            if home is None:
                batches.append(([i], own))
            else:
                home[0].append(i)
                home[1].update(own)
        out: list[np.ndarray | None] = [None] * len(data)
        for members, _ in batches:
            parts, offset = [], 0
            for i in members:
                d = data[i]
                src = np.where(d.src >= n, d.src + offset, d.src)
                dst = np.where(d.dst >= n, d.dst + offset, d.dst)
                parts.append(replace(d, src=src, dst=dst, n_nodes=int(max(n, src.max() + 1, dst.max() + 1))))
                offset += (
                    int(max(d.src.max(), d.dst.max()) + 1 - n) if max(d.src.max(), d.dst.max()) >= n else 0
                )
            full = world_graph.data
            for p in parts:
                full = full.append(p)
            scores = np.asarray(self.score(full))[world_graph.data.n_edges :]
            start = 0
            for i, p in zip(members, parts, strict=True):
                out[i] = scores[start : start + p.n_edges]
                start += p.n_edges
        return out

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
