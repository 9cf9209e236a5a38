"""`report.md` (the tables) and `report.html` (self-contained: the same tables and the plots)
from `results.json`. Every figure is shown as ``value [low, high]`` with the number of
scenarios behind it; the PNG plots are also written beside the reports.
"""

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

from graph_schema.formats.atomic import write_text_atomic  # noqa: E402


def fmt(e: dict | None, pct: bool = True) -> str:
    """``value [low, high]`` of an estimate dict (percentage points when ``pct``)."""
    if e is None:
        return "-"
    f = (lambda v: f"{100 * v:.1f}") if pct else (lambda v: f"{v:.3f}")
    return f"{f(e['value'])} [{f(e['low'])}, {f(e['high'])}]"


def usd(e: dict | None) -> str:
    """``value [low, high]`` of an estimate in whole US dollars."""
    return "-" if e is None else f"{e['value']:,.0f} [{e['low']:,.0f}, {e['high']:,.0f}]"


def _table(head: list[str], rows: list[list]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "|".join("---" if i == 0 else "---:" for i in range(len(head))) + "|",
            *("| " + " | ".join(str(c) for c in r) + " |" for r in rows), ""]


def headline(res: dict) -> list[str]:
    """The E1 headline: money recall and volume, drafts vs elites of the whole loop, per detector."""
    arm = "full" if "full" in res["arms"] else res["arms"][0]
    e = res["e1"]
    rows = []
    for d in [*res["detectors"], "mean"]:
        if d == "mean":
            b, dr, el = (e["mean"][g].get("money_recall") for g in ("baseline", f"{arm}/drafts", f"{arm}/elites"))
        else:
            b, dr, el = ((e["per_detector"][g] or {}).get(d) for g in ("baseline", f"{arm}/drafts", f"{arm}/elites"))
            b, dr, el = ((x or {}).get("money_recall") for x in (b, dr, el))
        rows.append([f"**{d}**" if d == "mean" else d, fmt(b), fmt(dr), fmt(el), fmt(e["gap"][arm].get(d))])
    n = {g: e["mean"][g]["n"] for g in ("baseline", f"{arm}/drafts", f"{arm}/elites")}
    vol = [e["mean"][g].get("laundered_usd") for g in ("baseline", f"{arm}/drafts", f"{arm}/elites")]
    rows.append(["mean laundered USD per scenario", *(usd(v) for v in vol), usd(e["gap"][arm].get("laundered_usd"))])
    return _table([f"money-weighted recall (%) in World B, arm `{arm}`",
                   f"baseline templates (n={n['baseline']})", f"round-0 drafts (n={n[f'{arm}/drafts']})",
                   f"evolved elites (n={n[f'{arm}/elites']})", "elites - drafts (points)"], rows)


def _e1_detail(res: dict) -> list[str]:
    out = []
    for g in ["baseline", *(f"{a}/{k}" for a in res["arms"] for k in ("drafts", "elites"))]:
        per = res["e1"]["per_detector"][g]
        rows = []
        for d in res["detectors"]:
            m = per.get(d)
            if m is None:
                continue
            rows.append([d, fmt(m["recall"]), fmt(m["money_recall"]), fmt(m["case_share"]), fmt(m["case_funds"]),
                         f"{m['pr_auc']:.3f}" if m["pr_auc"] is not None else "-", m["recall"]["n"]])
        fail = res["e1"]["failed"][g]
        out += [f"#### {g}", ""]
        if fail["count"]:
            out += [f"{fail['count']} scenario(s) do not compile into B's test period (first reason: "
                    f"`{fail['first']}`); they are not in the figures.", ""]
        out += _table(["detector", "recall @ budget", "money recall", "cases caught", "funds in caught cases",
                       "PR-AUC", "n"], rows)
    return out


def _typology(res: dict) -> list[str]:
    pt = res["e1"]["per_typology"]
    types = sorted(set().union(*(pt[k].keys() for k in pt)))
    rows = []
    for t in types:
        cells = []
        for k in ("baseline", "drafts", "elites"):
            m = pt[k].get(t)
            cells.append(f"{fmt(m['money_recall'])} (n={m['n']})" if m and m["n"] else "-")
        rows.append([t, *cells])
    return _table(["typology", "baseline", "drafts", "elites"], rows)


def _e2(res: dict) -> list[str]:
    e2 = res["e2"]
    if not e2:
        return ["E2 was not run.", ""]
    rows = []
    for d, r in e2["detectors"].items():
        for label, g in (("other seed's elites", r["elites"]), ("baseline templates", r["baseline_templates"])):
            if not g.get("n"):
                continue
            m, c = g["money_recall"], g["case_funds"]
            rows.append([d, label, fmt(m["before"]), fmt(m["after"]), fmt(m["change"]), fmt(c["before"]),
                         fmt(c["after"]), fmt(c["change"]), g["n"]])
        bt = r.get("baseline_test")
        if bt:
            m = bt["money_recall"]
            rows.append([d, "B's own baseline laundering (test period)", fmt(m["before"]), fmt(m["after"]),
                         fmt(m["change"]), "-", "-", "-", m["change"]["n"]])
    return _table(["detector", "tested on", "money recall before", "after", "change (points)",
                   "funds in caught cases before", "after", "change (points)", "n scenarios"], rows)


def _spread(d: dict, f: str = "{:.2f}") -> str:
    """Mean over evolution seeds with [min, max] (a seed-level figure: no bootstrap)."""
    return f"{f.format(d['mean'])} [{f.format(d['min'])}, {f.format(d['max'])}]"


def _e3(res: dict) -> list[str]:
    rows = []
    for arm in [a for a in res["arms"] if a in res["e3"]]:  # results.json sorts keys; arms keep the config's order
        r = res["e3"][arm]
        el, d, c = r["elites"], r["diversity"], r["cost"]
        rows.append([arm, fmt(el.get("money_recall")), fmt(el.get("case_funds")),
                     f"{r['median_funds_integrated_usd']:,.0f}", fmt(r["realism_auc"], False),
                     _spread({k: 100 * v if k != "n" else v for k, v in d["coverage"].items()}, "{:.1f}"),
                     _spread(d["typology_entropy"]), _spread(d["structural_distance"], "{:.3f}"),
                     f"{r['validity']['rate']:.1%} of {r['validity']['proposals']}",
                     _spread(c["candidates"], "{:.0f}"), _spread(c["seconds"], "{:.0f}"), _spread(c["tokens"], "{:.0f}"),
                     f"{r['filter']['kept']}/{r['filter']['dropped']}", el.get("n", 0)])
    seeds = len(res["seeds"])
    return [*_table(["arm", "elites' money recall (mean over detectors)", "funds in caught cases",
                     "median funds integrated (USD)", "realism C2ST AUC", "coverage (%)", "typology H (bits)",
                     "struct. dist.", "validity (of proposals)", "candidates / seed", "loop seconds / seed",
                     "tokens / seed", "filter kept/dropped", "n elites"], rows),
            f"Money recall, funds and realism: 95% bootstrap over the arm's elites (n). Coverage, entropy, distance "
            f"and cost: mean [min, max] over the {seeds} evolution seeds (one value per seed, too few for a "
            "bootstrap); validity pools every proposal of the arm.", ""]


def _realism(res: dict) -> list[str]:
    rows = []
    for g in [x for x in ["baseline", *res["arms"]] if x in res["realism"]]:
        r = res["realism"][g]
        if "error" in r:
            rows.append([g, r["error"], "", "", "", ""])
            continue
        rows.append([g, fmt(r["auc"], False), r["scenario_accounts"], r["matched_accounts"], fmt(r["leak_auc"], False),
                     f"`{r['leak_rule']}`"])
    return _table(["group", "C2ST AUC (accounts)", "scenario accounts", "matched accounts", "leak check AUC "
                   "(depth-3 tree, single transactions)", "its first split"], rows)


def markdown(res: dict, plots: list[str]) -> str:
    w = res["worlds"]
    e4 = res["e4"]
    lines = [f"# Effect analysis: {res['name']}", ""]
    if res["plumbing_only"]:
        lines += ["> **Plumbing only.** The roles ran on a tiny local model: these numbers test the machinery, "
                  "never the quality of a plan.", ""]
    lines += [f"Evolution ran in World A (seed {w['A']['seed']}: {w['A']['accounts']:,} accounts, "
              f"{w['A']['transactions']:,} transactions, {w['A']['days']} days) against "
              f"{', '.join(res['loop_detectors'])}. Every figure is measured in World B (seed {w['B']['seed']}, "
              f"{w['B']['transactions']:,} transactions), on detectors trained there on baseline typologies only: "
              f"{', '.join(res['detectors'])}. Scenarios are compiled into B's test period (the last 20% of its "
              f"transactions), which no detector trained on; alerts are the top {res['budget']:.1%} of B's "
              f"test-period scores. Arms: {', '.join(res['arms'])}; evolution seeds: "
              f"{', '.join(map(str, res['seeds']))}. Intervals: 95% bootstrap over scenarios; n = scenarios.", "",
              "## E1: hardness (headline)", "", *headline(res),
              "Elites minus drafts is a two-sample bootstrap; a negative gap means the elites are missed more.", "",
              "### Per detector and group", "", *_e1_detail(res),
              f"### Per typology (money recall, mean over detectors, arm `{res['e1']['per_typology_arm']}`)", "",
              *_typology(res), "## E2: training utility", "",
              f"Each detector is retrained on B plus the elites of one seed of arm `{res['e2'].get('arm', '-')}` "
              "(compiled into B's training period), and tested on another seed's elites and on B's baseline test "
              "period. Seed pairs: " + ", ".join(f"{a}->{b}" for a, b in res["e2"].get("pairs", [])) + ".", "",
              *_e2(res), "## E3: one ablation per stage", "", *_e3(res),
              "## Realism without the loop's critic", "",
              "AUC 0.5 means the discriminator cannot tell scenario accounts from matched legitimate accounts.", "",
              *_realism(res), "## E4: does Elo mean something?", ""]
    if e4.get("spearman"):
        lines += [f"Spearman correlation of {e4['measure']}, arm `{e4['arm']}`: "
                  f"{fmt(e4['spearman'], False)} (n={e4['n']} elites).", ""]
    else:
        lines += [f"Not computed: {e4.get('why', 'too few elites')} (n={e4['n']}).", ""]
    lines += ["## Plots", "", *(f"![{p}]({p})" for p in plots), ""]
    return "\n".join(lines)


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
    for k, (g, label) in enumerate((("baseline", "baseline"), (f"{arm}/drafts", "round-0 drafts"),
                                    (f"{arm}/elites", "evolved elites"))):
        vals = []
        for d in dets:
            m = e["mean"][g].get("money_recall") if d == "mean" else ((e["per_detector"][g] or {}).get(d) or {}).get(
                "money_recall")
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
    for ax, key, title in ((axes[0], "money_recall", "elites' money recall (mean over detectors)"),
                           (axes[1], "realism_auc", "realism C2ST AUC (0.5 = indistinguishable)")):
        ms = [res["e3"][a]["elites"].get(key) if key != "realism_auc" else res["e3"][a]["realism_auc"] for a in arms]
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
    page = ("<!doctype html><html><head><meta charset='utf-8'><title>" + html.escape(res["name"]) +
            "</title><style>body{font-family:sans-serif;max-width:1250px;margin:auto;font-size:14px}"
            "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 6px}"
            "img{max-width:100%}</style></head><body>" + body + "</body></html>")
    write_text_atomic(out / "report.html", page)
    return out / "report.md", out / "report.html"


__all__ = ["fmt", "headline", "markdown", "write_reports"]


BEGIN, END = "<!-- results: generated from {path} by experiments.effect.report; do not edit -->", "<!-- /results -->"


def readme_block(res: dict, path: str) -> str:
    """The README's Results tables, generated from ``results.json`` (so they always agree)."""
    e4 = res["e4"]
    lines = [BEGIN.format(path=path), "",
             f"World A {res['worlds']['A']['transactions']:,} and World B {res['worlds']['B']['transactions']:,} "
             f"transactions; arms {', '.join(res['arms'])}; evolution seeds {', '.join(map(str, res['seeds']))}; "
             f"figures in %, 95% bootstrap intervals over scenarios, n = scenarios.", "",
             "**E1, hardness in World B** (money-weighted recall; the loop played against "
             f"{', '.join(res['loop_detectors'])} in World A):", "", *headline(res),
             "**E2, training utility** (retrained on B plus one seed's elites):", "", *_e2(res),
             "**E3, ablations**:", "", *_e3(res), "**Realism** (C2ST AUC, 0.5 = indistinguishable):", "", *_realism(res)]
    if e4.get("spearman"):
        lines += [f"**E4**: Spearman of {e4['measure']}: {fmt(e4['spearman'], False)} (n={e4['n']}).", ""]
    return "\n".join([*lines, END])


def update_readme(results: Path, readme: Path) -> None:
    """Replace the generated block of ``readme`` with the tables of ``results``."""
    import json

    text = readme.read_text(encoding="utf-8")
    start, end = text.index("<!-- results:"), text.index(END) + len(END)
    block = readme_block(json.loads(results.read_text()), results.as_posix())
    write_text_atomic(readme, text[:start] + block + text[end:])


if __name__ == "__main__":  # python -m experiments.effect.report RESULTS.json README.md
    import sys

    update_readme(Path(sys.argv[1]), Path(sys.argv[2]))
