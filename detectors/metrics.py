"""Detection metrics: minority-class F1 at a threshold, PR-AUC, recall at an alert budget,
and recall per typology."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, precision_recall_curve

ALERT_BUDGET = 0.005  # top 0.5% of transactions


def best_threshold(y: np.ndarray, score: np.ndarray) -> tuple[float, float]:
    """The threshold maximising minority-class F1 on (y, score), and that F1."""
    if y.sum() == 0:
        return 0.5, 0.0
    p, r, t = precision_recall_curve(y, score)
    f1 = np.where(p + r > 0, 2 * p * r / np.maximum(p + r, 1e-12), 0.0)[:-1]
    i = int(np.argmax(f1))
    return float(t[i]), float(f1[i])


def f1_at(y: np.ndarray, score: np.ndarray, threshold: float) -> tuple[float, float, float]:
    """(F1, precision, recall) of the positive class at ``score >= threshold``."""
    pred = score >= threshold
    tp = float((pred & (y == 1)).sum())
    prec = tp / max(pred.sum(), 1)
    rec = tp / max(y.sum(), 1)
    return (2 * prec * rec / (prec + rec) if prec + rec else 0.0), prec, rec


def budget_mask(score: np.ndarray, budget: float = ALERT_BUDGET) -> np.ndarray:
    """The top ``budget`` share of transactions by score (ties broken by position)."""
    k = max(1, int(round(budget * len(score))))
    top = np.argsort(-score, kind="stable")[:k]
    mask = np.zeros(len(score), dtype=bool)
    mask[top] = True
    return mask


def evaluate(y: np.ndarray, score: np.ndarray, threshold: float, typology: np.ndarray,
             typologies: tuple[str, ...]) -> dict:
    """All metrics of one detector on one evaluation period."""
    f1, prec, rec = f1_at(y, score, threshold)
    alerts = budget_mask(score)
    out = {
        "f1": f1,
        "precision": prec,
        "recall": rec,
        "pr_auc": float(average_precision_score(y, score)) if y.any() else 0.0,
        "recall_at_budget": float((alerts & (y == 1)).sum() / max(y.sum(), 1)),
        "threshold": float(threshold),
        "positives": int(y.sum()),
        "transactions": int(len(y)),
        "per_typology": {},
    }
    pred = score >= threshold
    false_alarms = int((pred & (y == 0)).sum())
    for code, name in enumerate(typologies):
        m = (typology == code) & (y == 1)
        if m.any():
            tp = int(pred[m].sum())
            # the typology's positives against every legitimate transaction (other typologies left out)
            precision = tp / (tp + false_alarms) if tp + false_alarms else 0.0
            recall = tp / int(m.sum())
            out["per_typology"][name] = {
                "positives": int(m.sum()),
                "recall": float(recall),
                "recall_ci": list(wilson(tp, int(m.sum()))),
                "precision": float(precision),
                "f1": float(2 * precision * recall / (precision + recall)) if precision + recall else 0.0,
                "recall_at_budget": float(alerts[m].mean()),
            }
    return out


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a proportion ``k / n``."""
    if n == 0:
        return (0.0, 1.0)
    p, d = k / n, 1 + z * z / n
    centre, half = (p + z * z / (2 * n)) / d, z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (round(float(max(0.0, centre - half)), 4), round(float(min(1.0, centre + half)), 4))
