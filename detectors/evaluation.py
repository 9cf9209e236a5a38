"""Detection quality of detectors on one dataset (what `redledger benchmark` reports):
temporal split, fit, evaluate on the test period, and write ``metrics.json``,
``metrics.md`` (overall and per typology) and ``pr_curve.png``. (Speed is measured by the
scripts of `experiments/bench/`.)"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from detectors import amlworld_paper
from detectors.base import make
from detectors.data import TxData
from detectors.metrics import ALERT_BUDGET, evaluate
from detectors.split import temporal_split
from graph_schema.formats import atomic_path, write_text_atomic

StartFn = Callable[[str], Callable[[int, int, float], None]]


def run_evaluation(data: TxData, names: list[str], out: str | Path, source: str = "",
                  on_start: StartFn | None = None, overrides: dict | None = None) -> dict:
    """Fit and evaluate every named detector; write the reports into ``out``.

    ``on_start(name)`` may return a progress callback ``(epoch, epochs, best_val_f1)``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    split = temporal_split(data)
    results: dict = {
        "dataset": {"source": source, "transactions": data.n_edges, "accounts": data.n_nodes,
                    "positives": int(data.y.sum()),
                    "periods": {p: {"transactions": int(m.sum()), "positives": int(data.y[m].sum())}
                                for p, m in (("train", split.train), ("val", split.val),
                                             ("test", split.test))}},
        "alert_budget": ALERT_BUDGET,
        "detectors": {},
    }
    curves = {}
    for name in names:
        progress = on_start(name) if on_start else None
        t0 = time.perf_counter()
        det = make(name, **(overrides or {}).get(name, {})).fit(data, split, progress)
        fit_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        scores = det.score(data)  # the test-period graph: every edge up to the end of test
        score_s = time.perf_counter() - t1
        m = evaluate(data.y[split.test], scores[split.test], det.threshold,
                     data.typology[split.test], data.typologies)
        m.update(fit_seconds=round(fit_s, 2), score_seconds=round(score_s, 3))
        if hasattr(det, "history") and det.history:
            m["best_epoch"] = det.history.get("best_epoch")
            m["best_val_f1"] = det.history.get("best_val_f1")
        results["detectors"][name] = m
        curves[name] = (data.y[split.test], scores[split.test])
        det.save(out / "models" / name)
    write_text_atomic(out / "metrics.json", json.dumps(results, indent=2, default=float) + "\n")
    write_text_atomic(out / "metrics.md", markdown_table(results))
    pr_curve_png(curves, out / "pr_curve.png")
    return results


def markdown_table(results: dict) -> str:
    """Overall metrics, then recall per typology (at the threshold and at the alert budget)."""
    dets = results["detectors"]
    d = results["dataset"]
    lines = [f"# Detector benchmark: {d['source']}", "",
             f"{d['transactions']:,} transactions, {d['positives']:,} laundering; test period: "
             f"{d['periods']['test']['transactions']:,} transactions, "
             f"{d['periods']['test']['positives']:,} laundering. Threshold chosen on validation; "
             f"alert budget = top {results['alert_budget']:.1%} of test transactions.", "",
             "| detector | F1 | precision | recall | PR-AUC | recall@budget | fit s |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, m in dets.items():
        lines.append(f"| {name} | {m['f1']:.3f} | {m['precision']:.3f} | {m['recall']:.3f} | "
                     f"{m['pr_auc']:.3f} | {m['recall_at_budget']:.3f} | {m['fit_seconds']:.1f} |")
    typs = sorted({t for m in dets.values() for t in m["per_typology"]})
    if typs:
        lines += ["", "## Recall per typology (at threshold / at budget)", "",
                  "| typology | positives | " + " | ".join(dets) + " |",
                  "|---|---:|" + "---:|" * len(dets)]
        for t in typs:
            lines.append(_typology_row(t, dets, lambda r: f"{r['recall']:.2f} / {r['recall_at_budget']:.2f}"))
        lines += ["", "## Minority-class F1 per typology, with recall and its 95% Wilson interval", "",
                  "Each typology's positives against every legitimate transaction of the test period "
                  "(other typologies left out), at the threshold chosen on validation.", "",
                  "| typology | positives | " + " | ".join(dets) + " |",
                  "|---|---:|" + "---:|" * len(dets)]
        for t in typs:
            lines.append(_typology_row(t, dets, _f1_cell))
        lines += amlworld_paper.markdown(list(dets), {d: m["per_typology"] for d, m in dets.items()})
    return "\n".join(lines) + "\n"


def _f1_cell(r: dict) -> str:
    if "f1" not in r:  # metrics written before per-typology F1 existed
        return f"recall {r['recall']:.2f}"
    low, high = r["recall_ci"]
    return f"{r['f1']:.2f} (recall {r['recall']:.2f} [{low:.2f}, {high:.2f}])"


def _typology_row(t: str, dets: dict, cell) -> str:
    pos = next(m["per_typology"][t]["positives"] for m in dets.values() if t in m["per_typology"])
    cells = [cell(m["per_typology"][t]) if t in m["per_typology"] else "-" for m in dets.values()]
    return f"| {t} | {pos} | " + " | ".join(cells) + " |"


def pr_curve_png(curves: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import precision_recall_curve

    fig, ax = plt.subplots(figsize=(6, 4.5), dpi=110)
    for name, (y, s) in curves.items():
        if y.any():
            p, r, _ = precision_recall_curve(y, s)
            ax.plot(r, p, label=name, lw=1.4)
    base = float(np.mean(next(iter(curves.values()))[0])) if curves else 0.0
    ax.axhline(base, color="grey", lw=0.8, ls=":", label="chance")
    ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02),
           title="Precision-recall on the test period")
    ax.legend(fontsize=8)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
