"""`report.html` (self-contained: the tables of `report.md` and the plots) and the PNG plots
beside it, from `results.json`."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from markdown_it import MarkdownIt  # noqa: E402

from experiments.effect.report import markdown  # noqa: E402
from graph_schema.formats.atomic import write_text_atomic  # noqa: E402


def _png(fig, path: Path) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    path.write_bytes(buf.getvalue())
    return buf.getvalue()


def plots(res: dict, out: Path) -> dict[str, bytes]:
    arm = "full" if "full" in res["arms"] else res["arms"][0]
    e = res["e1"]
    figs = {}
    dets = [*res["detectors"], "mean"]
    fig, ax = plt.subplots(figsize=(9, 3.4))
    for k, (g, label) in enumerate(
        (("baseline", "baseline"), (f"{arm}/drafts", "planner drafts"), (f"{arm}/elites", "evolved elites"))
    ):
        vals = []
        for d in dets:
            m = (
                e["mean"][g].get("money_recall")
                if d == "mean"
                else ((e["per_detector"][g] or {}).get(d) or {}).get("money_recall")
            )
            vals.append(m)
        x = np.arange(len(dets)) + (k - 1) * 0.27
        v = np.array([m["value"] if m else np.nan for m in vals])
        err = np.array([[m["value"] - m["low"], m["high"] - m["value"]] if m else [0, 0] for m in vals]).T
        ax.bar(x, v, 0.27, yerr=err, label=label, capsize=2)
    ax.set_xticks(np.arange(len(dets)), dets, rotation=20)
    ax.set_ylim(0, 1)
    ax.set_ylabel("money-weighted recall in B")
    ax.legend(fontsize=8)
    figs["e1_money_recall.png"] = _png(fig, out / "e1_money_recall.png")
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    arms = [a for a in res["arms"] if a in res["e3"]]
    for ax, key, title in (
        (axes[0], "money_recall", "elites' money recall (mean over detectors)"),
        (axes[1], "realism_auc", "realism C2ST AUC (0.5 = indistinguishable)"),
    ):
        ms = [
            res["e3"][a]["elites"].get(key) if key != "realism_auc" else res["e3"][a]["realism_auc"]
            for a in arms
        ]
        v = np.array([m["value"] if m else np.nan for m in ms])
        err = np.array([[m["value"] - m["low"], m["high"] - m["value"]] if m else [0, 0] for m in ms]).T
        ax.barh(arms, v, xerr=err, capsize=2)
        ax.set_xlim(0, 1)
        ax.set_title(title, fontsize=9)
    figs["e3_arms.png"] = _png(fig, out / "e3_arms.png")
    return figs


def write_reports(res: dict, out: Path) -> tuple[Path, Path]:
    """``report.md`` and ``report.html`` (plots inline) in ``out``, plus the PNGs."""
    figs = plots(res, out)
    md = markdown(res, list(figs))
    write_text_atomic(out / "report.md", md)
    # markdown-it (rich's own dependency) escapes the text; images become data URIs
    inline = md
    for name, png in figs.items():
        inline = inline.replace(f"]({name})", f"](data:image/png;base64,{base64.b64encode(png).decode()})")
    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(inline)
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>"
        + html.escape(res["name"])
        + "</title><style>body{font-family:sans-serif;max-width:1250px;margin:auto;font-size:14px}"
        "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 6px}"
        "img{max-width:100%}</style></head><body>" + body + "</body></html>"
    )
    write_text_atomic(out / "report.html", page)
    return out / "report.md", out / "report.html"


__all__ = ["plots", "write_reports"]
