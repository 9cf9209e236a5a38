"""Figures of the report, rendered by matplotlib to inline PNG data URIs."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402

from graph_schema.dsl import Scenario  # noqa: E402
from orchestrator.engine import cell_grid  # noqa: E402


def _uri(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def progress_chart(rounds: list[dict], recall: list[float]) -> str:
    x = [r["round"] for r in rounds]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.2))
    axes[0].plot(x, [r["best_elo"] for r in rounds], marker="o")
    axes[0].set_title("best Elo")
    axes[1].plot(x, [r["coverage"] for r in rounds], marker="o", label="coverage")
    ax2 = axes[1].twinx()
    ax2.plot(x, [r["qd_score"] for r in rounds], marker="s", color="tab:orange", label="QD-score")
    axes[1].set_title("archive coverage (blue) and QD-score (orange)")
    axes[2].plot(x, recall, marker="o", color="tab:red")
    axes[2].set_ylim(0, 1)
    axes[2].set_title("detector recall on the archive")
    for r in rounds:
        if r["round"] > 0 and r["detector_version"] != rounds[r["round"] - 1]["detector_version"]:
            axes[2].axvline(r["round"] - 0.5, ls="--", color="grey")
    for a in axes:
        a.set_xlabel("round")
    return _uri(fig)


def heatmap(cells: list[dict]) -> str:
    g = cell_grid(cells)
    rows, cols = g.rows, g.cols
    grid = np.full((len(rows), max(len(cols), 1)), np.nan)
    for (i, j), c in g.at.items():
        grid[i, j] = c["evasion"]
    fig, ax = plt.subplots(figsize=(1.2 + 0.7 * len(cols), 0.5 + 0.45 * len(rows)))
    im = ax.imshow(grid, cmap="viridis", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(cols)), cols, rotation=45, ha="right")
    ax.set_yticks(range(len(rows)), rows)
    fig.colorbar(im, ax=ax, label="evasion")
    return _uri(fig)


def flow_drawing(s: Scenario) -> str:
    g = nx.MultiDiGraph()
    kinds = {e.id: e for e in s.entities}
    for t in s.transfers:
        g.add_edge(t.src, t.dst, camo=t.purpose.value == "camouflage")
    pos = nx.spring_layout(g, seed=0)
    fig, ax = plt.subplots(figsize=(5, 3.6))
    colours = ["tab:red" if kinds[n].initial_funds else "tab:grey" if kinds[n].role.value == "camouflage"
               else "tab:orange" if kinds[n].recruit.mode == "hijack" else "tab:blue" for n in g.nodes]
    nx.draw_networkx(g, pos, ax=ax, node_color=colours, node_size=260, font_size=7, arrows=True,
                     edge_color=["lightgrey" if d["camo"] else "black" for _, _, d in g.edges(data=True)])
    ax.set_axis_off()
    ax.set_title("red: holds the proceeds, orange: hijacked, blue: new, grey: camouflage", fontsize=7)
    return _uri(fig)


__all__ = ["flow_drawing", "heatmap", "progress_chart"]
