"""`GNNDetector`: any model of the zoo behind the `Detector` interface, saved and loaded
with its weights, config, feature normalisation and threshold."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import torch

from detectors._memory import keep_freed_memory
from detectors.base import Detector, register
from detectors.config import PRESETS, GNNConfig
from detectors.data import TxData
from detectors.errors import NotFittedError
from detectors.features import Normalizer
from detectors.graph import build_graph, normalised, raw_graph
from detectors.incremental import WorldGraph, as_scenario_data, injected_scores, injection, scenario_parts
from detectors.models import BUILDERS
from detectors.split import TemporalSplit
from detectors.train import fit_gnn, predict, seed_everything
from graph_schema.formats import write_text_atomic


class GNNDetector(Detector):
    """A GNN edge classifier with a validation-chosen threshold."""

    def __init__(self, name: str = "gine", **overrides):
        self.name = name
        self.cfg = GNNConfig(**{**PRESETS.get(name, {"arch": name}), **overrides})
        self.model = None
        self.norms: tuple[Normalizer, Normalizer] | None = None
        self.delta = 1.0
        self.history: dict = {}

    def _build(self, node_in: int, edge_in: int):
        keep_freed_memory()  # before the first large tensors (see detectors/_memory.py)
        seed_everything(self.cfg.seed)
        kw = dict(hidden=self.cfg.hidden, layers=self.cfg.layers, dropout=self.cfg.dropout,
                  reverse_mp=self.cfg.reverse_mp, edge_updates=self.cfg.edge_updates)
        if self.cfg.arch == "pna":
            kw["delta"] = self.delta
        return BUILDERS[self.cfg.arch](node_in + int(self.cfg.ego_ids), edge_in, **kw)

    def fit(self, data: TxData, split: TemporalSplit, progress=None) -> GNNDetector:
        train = data.subset(split.visible("train"))
        seen = split.visible("val")
        val = data.subset(seen)
        val_eids = torch.as_tensor(np.flatnonzero(split.val[seen]))
        train_gd = build_graph(train, self.cfg.ports)  # fits the normalisers on training data
        self.norms = train_gd.norms
        val_gd = build_graph(val, self.cfg.ports, *self.norms)
        deg = train_gd.g.in_degrees().float()
        self.delta = float(torch.log1p(deg[deg > 0]).mean()) if (deg > 0).any() else 1.0
        self.model = self._build(train_gd.node_x.shape[1], train_gd.edge_x.shape[1])
        self.threshold, self.history = fit_gnn(self.model, self.cfg, train_gd, val_gd, val_eids, progress)
        return self

    def _check(self) -> None:
        if self.model is None:
            raise NotFittedError(f"detector '{self.name}' is not fitted; call fit() or load()")

    def score(self, data: TxData) -> np.ndarray:
        self._check()
        return predict(self.model, self.cfg, build_graph(data, self.cfg.ports, *self.norms))

    def prepare(self, data: TxData, shared: dict | None = None) -> WorldGraph:
        """Build the World's raw graph once; `score_injected` then reuses it. It depends on
        the features only (not on normalisers), so GNNs with the same ``ports`` setting
        share the one kept in ``shared``."""
        self._check()
        key = ("gnn-raw-graph", self.cfg.ports)
        if shared is not None and key in shared and shared[key].data is data:
            return shared[key]
        wg = WorldGraph(data, raw_graph(data, self.cfg.ports))
        if shared is not None:
            shared[key] = wg
        return wg

    def score_prepared(self, world_graph: WorldGraph) -> np.ndarray:
        """Scores of the prepared World's edges, reusing its graph instead of building it again."""
        self._check()
        return predict(self.model, self.cfg, normalised(world_graph.gd, world_graph.data.y, self.norms))

    def score_injected(self, world_graph: WorldGraph, scenario_rows: pa.Table | TxData,
                       shared: dict | None = None) -> np.ndarray:
        """Scores of the scenario's transactions, recomputing only its k-hop context. The
        context depends on the layers and features only, so GNNs scoring the same scenario
        share the one kept in ``shared``."""
        self._check()
        sc, ridden = scenario_parts(scenario_rows, world_graph)
        if ridden is not None:  # rows that are World edges: no k-hop update, a full rescore
            return self.score_riding(world_graph, sc, ridden)
        key = ("injection", id(world_graph), self.cfg.layers)
        inj = shared.get(key) if shared is not None else None
        if inj is None:
            inj = injection(world_graph, sc, self.cfg.layers, self.cfg.ports)
            if shared is not None:
                shared[key] = inj
        return injected_scores(self.model, self.cfg, self.norms, inj, shared)

    def rescore_full(self, world_graph: WorldGraph, scenario_rows: pa.Table | TxData) -> np.ndarray:
        """The reference for `score_injected`: rebuild the whole injected graph and rescore."""
        self._check()
        sc = as_scenario_data(scenario_rows, world_graph)
        full = world_graph.data.append(sc)
        gd = build_graph(full, self.cfg.ports, *self.norms)
        eids = torch.arange(world_graph.data.n_edges, full.n_edges)
        return predict(self.model, self.cfg, gd, eids)

    def save(self, path: str | Path) -> None:
        self._check()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        tmp = path / ".weights.pt.tmp"
        torch.save(self.model.state_dict(), tmp)
        tmp.replace(path / "weights.pt")
        meta = {"kind": "gnn", "name": self.name, "config": self.cfg.model_dump(),
                "threshold": self.threshold, "delta": self.delta,
                "edge_norm": self.norms[0].state(), "node_norm": self.norms[1].state(),
                "history": self.history}
        write_text_atomic(path / "detector.json", json.dumps(meta, indent=1))

    @classmethod
    def load(cls, path: str | Path) -> GNNDetector:
        meta = json.loads((Path(path) / "detector.json").read_text())
        det = cls(meta["name"], **meta["config"])
        det.threshold, det.delta, det.history = meta["threshold"], meta["delta"], meta["history"]
        det.norms = (Normalizer.from_state(meta["edge_norm"]), Normalizer.from_state(meta["node_norm"]))
        det.model = det._build(len(det.norms[1].mean), len(det.norms[0].mean))
        det.model.load_state_dict(torch.load(Path(path) / "weights.pt", weights_only=True))
        det.model.eval()
        return det


for _name in PRESETS:
    register(_name)(lambda _n=_name, **kw: GNNDetector(_n, **kw))
