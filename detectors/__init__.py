"""detectors: ledger -> DGL graph, the detector zoo, temporal benchmarks, incremental scoring.

DGL is imported only in `detectors/_dgl.py`. Detectors are registered by name:
gcn, sage, gat, gine, pna, multi-gine, multi-pna (GNNs), lightgbm and rules.
"""

from detectors import gnn, lgbm, rules  # noqa: F401  (registration)
from detectors.base import REGISTRY, Detector, make
from detectors.data import TxData, from_ledger, load_dataset
from detectors.errors import DatasetError, NotFittedError
from detectors.gnn import GNNDetector
from detectors.incremental import WorldGraph
from detectors.split import TemporalSplit, temporal_split


def load_detector(path) -> Detector:
    """Load any saved detector from its directory."""
    import json
    from pathlib import Path

    kind = json.loads((Path(path) / "detector.json").read_text())["kind"]
    cls = {"gnn": GNNDetector, "lightgbm": lgbm.LightGBMDetector, "rules": rules.RuleDetector}[kind]
    return cls.load(path)


__all__ = [
    "REGISTRY",
    "DatasetError",
    "Detector",
    "GNNDetector",
    "NotFittedError",
    "TemporalSplit",
    "TxData",
    "WorldGraph",
    "from_ledger",
    "load_dataset",
    "load_detector",
    "make",
    "temporal_split",
]
