"""`redledger release-baselines DIR`: the release's results table.

Each detector of the release config is trained on the train period (validation drives early
stopping and nothing else), scores every validation and test transaction, and writes a
predictions file in the format `redledger evaluate` reads; the table is `evaluate` run on
those files, so anyone re-scoring a file gets the table's figures. A detector whose
predictions file already exists is not trained again (the command resumes).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from detectors import from_ledger, make
from detectors.split import TemporalSplit
from experiments.release.config import SPLITS, ReleaseConfig
from experiments.release.evaluate import evaluate, load_truth
from experiments.release.predictions import PredictionError, read_predictions, write_predictions
from experiments.release.release import write_documents
from graph_schema.formats.atomic import write_text_atomic

Progress = Callable[[str], None]


def release_data(release: Path):
    """The release's transactions as detector arrays, and its periods as a split."""
    meta = json.loads((release / "release.json").read_text(encoding="utf-8"))
    table = pa.concat_tables([pq.read_table(release / "data" / f"{s}.parquet") for s in SPLITS])
    data = from_ledger(table.drop_columns(["subset"]), meta["accounts"], source=str(release))
    t, cuts = data.t, meta["cuts"]
    split = TemporalSplit(t < cuts["validation"], (t >= cuts["validation"]) & (t < cuts["test"]),
                          t >= cuts["test"], int(cuts["validation"]), int(cuts["test"]))
    return meta, data, split


def predict(name: str, overrides: dict, data, split) -> np.ndarray:
    """Scores of every transaction (in tx_id order) of detector ``name`` trained on train, or
    of a probe (``probe:amount``: the US-dollar amount itself, nothing trained)."""
    if name == "probe:amount":
        scores = np.asarray(data.amount_usd, dtype=np.float64)
    else:
        det = make(name, **overrides).fit(data, split)
        scores = np.asarray(det.score_prepared(det.prepare(data)), dtype=np.float64)
    out = np.empty_like(scores)
    out[data.edge_id] = scores
    return out


def _done(path: Path, meta: dict, truth) -> bool:
    if not path.is_file():
        return False
    try:
        read_predictions(path, meta["slug"], meta["data_digest"], truth.test_ids, truth.val_ids)
        return True
    except PredictionError:
        return False


def run_baselines(cfg: ReleaseConfig, release: Path, predictions: Path, progress: Progress | None = None,
                  only: list[str] | None = None) -> dict:
    """Train, predict and evaluate every detector; writes results.json and the documents."""
    step = progress or (lambda _msg: None)
    meta, data, split = release_data(release)
    truth = load_truth(release)
    predictions.mkdir(parents=True, exist_ok=True)
    results = {"budgets": cfg.budgets, "detectors": {}, "seconds": {},
               "note": "Each detector trained on the train period with validation for early stopping; "
                       "F1 at the threshold that maximises F1 on validation."}
    keep = np.concatenate([truth.val_ids, truth.test_ids])
    todo = {**cfg.baselines.detectors, **{f"probe:{p}": {} for p in cfg.baselines.probes}}
    for name, overrides in todo.items():
        path = predictions / f"{name.replace(':', '-')}.csv"
        t0 = time.monotonic()
        if not _done(path, meta, truth):
            if only and name not in only:
                continue  # not asked for and not scored yet: left out of the table
            step(f"training {name}")
            scores = predict(name, overrides, data, split)
            write_predictions(path, meta["slug"], meta["data_digest"], keep, scores[keep])
        step(f"evaluating {name}")
        scored = read_predictions(path, meta["slug"], meta["data_digest"], truth.test_ids, truth.val_ids)
        results["detectors"][name] = evaluate(truth, scored)
        results["seconds"][name] = round(time.monotonic() - t0, 1)
    write_text_atomic(release / "results.json", json.dumps(results, indent=1, sort_keys=True) + "\n")
    write_documents(cfg, release, meta, results)
    return results


__all__ = ["predict", "release_data", "run_baselines"]
