"""LightGBM on engineered graph features: the strong non-GNN baseline of AMLworld."""

from __future__ import annotations

import json
from pathlib import Path

import lightgbm as lgb
import numpy as np

from detectors.base import Detector, register
from detectors.data import TxData
from detectors.errors import NotFittedError
from detectors.graph_features import graph_features
from detectors.metrics import best_threshold
from detectors.split import TemporalSplit
from graph_schema.formats import write_text_atomic


@register("lightgbm")
class LightGBMDetector(Detector):
    """Gradient-boosted trees; features of each phase come from that phase's visible graph."""

    name = "lightgbm"

    def __init__(self, n_estimators: int = 400, learning_rate: float = 0.05, num_leaves: int = 31,
                 seed: int = 0):
        self.params = dict(n_estimators=n_estimators, learning_rate=learning_rate,
                           num_leaves=num_leaves, random_state=seed, n_jobs=2, verbose=-1,
                           subsample=0.8, subsample_freq=1, colsample_bytree=0.8)
        self.model: lgb.LGBMClassifier | None = None
        self.feature_names: list[str] = []

    def fit(self, data: TxData, split: TemporalSplit, progress=None) -> LightGBMDetector:
        xtr, self.feature_names = graph_features(data.subset(split.visible("train")))
        ytr = data.y[split.train]
        seen = split.visible("val")
        xva_all, _ = graph_features(data.subset(seen))
        in_val = split.val[seen]
        xva, yva = xva_all[in_val], data.y[split.val]
        pos = max(int(ytr.sum()), 1)
        self.model = lgb.LGBMClassifier(scale_pos_weight=float(np.sqrt((len(ytr) - pos) / pos)),
                                        **self.params)
        self.model.fit(xtr, ytr, eval_X=xva, eval_y=yva, eval_metric="average_precision",
                       callbacks=[lgb.early_stopping(50, verbose=False)])
        self.threshold, _ = best_threshold(yva, self.model.predict_proba(xva)[:, 1])
        if progress:
            progress(1, 1, 0.0)
        return self

    def score(self, data: TxData) -> np.ndarray:
        if self.model is None:
            raise NotFittedError("detector 'lightgbm' is not fitted; call fit() or load()")
        x, _ = graph_features(data)
        return self.model.predict_proba(x)[:, 1]

    def save(self, path: str | Path) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.model.booster_.save_model(str(path / "model.txt"))
        write_text_atomic(path / "detector.json", json.dumps(
            {"kind": "lightgbm", "threshold": self.threshold, "params": self.params,
             "features": self.feature_names}, indent=1))

    @classmethod
    def load(cls, path: str | Path) -> LightGBMDetector:
        meta = json.loads((Path(path) / "detector.json").read_text())
        det = cls()
        det.params, det.threshold, det.feature_names = meta["params"], meta["threshold"], meta["features"]
        booster = lgb.Booster(model_file=str(Path(path) / "model.txt"))
        det.model = _BoosterModel(booster)
        return det


class _BoosterModel:
    """A loaded booster behind the `predict_proba` call the detector uses."""

    def __init__(self, booster: lgb.Booster):
        self.booster_ = booster

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        p = self.booster_.predict(x)
        return np.column_stack([1 - p, p])
