"""`report.md` (the tables) and `report.html` (self-contained: the same tables and the plots)
from `results.json`. Every figure is shown as ``value [low, high]`` with the number of
scenarios behind it; the PNG plots are also written beside the reports.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from experiments.effect.report_headline import net_funds_against_full, net_funds_arms, net_funds_section  # noqa: E402
from experiments.effect.report_llm import llm_table  # noqa: E402
from experiments.effect.report_probes import probes_table  # noqa: E402
from experiments.effect.tables import fmt, table, usd  # noqa: E402


def headline(res: dict) -> list[str]:
    """The E1 headline: money recall and volume, drafts vs elites of the whole loop, per detector."""
    arm = "full" if "full" in res["arms"] else res["arms"][0]
    e = res["e1"]
    rows = []
    for d in [*res["detectors"], "mean"]:
        if d == "mean":
            b, dr, el = (
                e["mean"][g].get("money_recall") for g in ("baseline", f"{arm}/drafts", f"{arm}/elites")
            )
        else:
            b, dr, el = (
                (e["per_detector"][g] or {}).get(d) for g in ("baseline", f"{arm}/drafts", f"{arm}/elites")
            )
            b, dr, el = ((x or {}).get("money_recall") for x in (b, dr, el))
        rows.append([f"**{d}**" if d == "mean" else d, fmt(b), fmt(dr), fmt(el), fmt(e["gap"][arm].get(d))])
    n = {g: e["mean"][g]["n"] for g in ("baseline", f"{arm}/drafts", f"{arm}/elites")}
    vol = [e["mean"][g].get("laundered_usd") for g in ("baseline", f"{arm}/drafts", f"{arm}/elites")]
    rows.append(
        ["mean laundered USD per scenario", *(usd(v) for v in vol), usd(e["gap"][arm].get("laundered_usd"))]
    )
    return table(
        [
            f"money-weighted recall (%) in World B, arm `{arm}`",
            f"baseline templates (n={n['baseline']})",
            f"planner drafts (n={n[f'{arm}/drafts']})",
            f"evolved elites (n={n[f'{arm}/elites']})",
            "elites - drafts (points)",
        ],
        rows,
    )


def _e1_detail(res: dict) -> list[str]:
    out = []
    for g in ["baseline", *(f"{a}/{k}" for a in res["arms"] for k in ("drafts", "elites"))]:
        per = res["e1"]["per_detector"][g]
        rows = []
        for d in res["detectors"]:
            m = per.get(d)
            if m is None:
                continue
            rows.append(
                [
                    d,
                    fmt(m["recall"]),
                    fmt(m["money_recall"]),
                    fmt(m["case_share"]),
                    fmt(m["case_funds"]),
                    f"{m['pr_auc']:.3f}" if m["pr_auc"] is not None else "-",
                    m["recall"]["n"],
                ]
            )
        fail = res["e1"]["failed"][g]
        out += [f"#### {g}", ""]
        if fail["count"]:
            out += [
                f"{fail['count']} scenario(s) do not compile into B's test period (first reason: "
                f"`{fail['first']}`); they are not in the figures.",
                "",
            ]
        out += table(
            [
                "detector",
                "recall @ budget",
                "money recall",
                "cases caught",
                "funds in caught cases",
                "PR-AUC",
                "n",
            ],
            rows,
        )
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
    return table(["typology", "baseline", "drafts", "elites"], rows)


TEST_LABELS = {"elites": "held-out seed's elites", "baseline": "baseline templates",
               "family_elites": "held-out family: elites", "family_baseline": "held-out family: templates"}


def e2_table(res: dict) -> list[str]:
    """Caught funds at the main budget per retrained detector and test set, each condition,
    and the gains of training on elites over the controls (money recall's gains beside)."""
    e2 = res["e2"]
    if not e2 or "budgets" not in e2:
        return ["E2 was not run (or its results are from before leave-one-seed-out).", ""]
    b = f"{res['budget']:g}"
    intro = (
        "Leave one seed out: each detector is retrained on B plus copies of the elites of every seed but "
        f"one (arm `{e2['arm']}`), or, as controls, of as many baseline-template instances or planner "
        "drafts, placed in B's training and validation periods (only laundering rows positive); it is "
        "tested on the held-out seed's elites, the baseline templates and the typology family "
        f"`{e2['heldout_family']}` that no training set holds. Caught funds: funds in cases with at least "
        "one alert; gains are paired over the test scenarios."
    )
    rows = []
    for d, per in e2["detectors"].items():
        for t, g in per.items():
            if not g.get("n") or f"caught_funds@{b}" not in g:
                continue
            c, m = g[f"caught_funds@{b}"], g.get("money_recall", {})
            conditions = (fmt(c[k]) for k in ("original", "templates", "drafts", "elites"))
            rows.append([d, TEST_LABELS[t], *conditions,
                         f"**{fmt(c['gains']['elites-templates'])}**", fmt(c["gains"]["elites-drafts"]),
                         fmt(m.get("gains", {}).get("elites-templates")), g["n"]])
    return [intro, "", *table(
        ["detector", "tested on", f"caught funds @ {float(b):.1%}: as trained", "+ template copies",
         "+ draft copies", "+ elite copies", "elites - templates (points)", "elites - drafts (points)",
         "money recall: elites - templates", "n scenarios"],
        rows,
    )]


def _spread(d: dict, f: str = "{:.2f}") -> str:
    """Mean over evolution seeds with [min, max] (a seed-level figure: no bootstrap)."""
    return f"{f.format(d['mean'])} [{f.format(d['min'])}, {f.format(d['max'])}]"


def e3_table(res: dict) -> list[str]:
    rows = []
    for arm in [
        a for a in res["arms"] if a in res["e3"]
    ]:  # results.json sorts keys; arms keep the config's order
        r = res["e3"][arm]
        el, d, c = r["elites"], r["diversity"], r["cost"]
        rows.append(
            [
                arm,
                fmt(el.get("money_recall")),
                fmt(el.get("case_funds")),
                f"{r['median_funds_integrated_usd']:,.0f}",
                fmt(r["realism_auc"], False),
                _spread({k: 100 * v if k != "n" else v for k, v in d["coverage"].items()}, "{:.1f}"),
                _spread(d["typology_entropy"]),
                _spread(d["structural_distance"], "{:.3f}"),
                f"{r['validity']['rate']:.1%} of {r['validity']['proposals']}",
                _spread(c["candidates"], "{:.0f}"),
                _spread(c["seconds"], "{:.0f}"),
                _spread(c["tokens"], "{:.0f}"),
                f"{r['filter']['kept']}/{r['filter']['dropped']}",
                el.get("n", 0),
            ]
        )
    seeds = len(res["seeds"])
    return [
        *table(
            [
                "arm",
                "elites' money recall (mean over detectors)",
                "funds in caught cases",
                "median funds integrated (USD)",
                "realism C2ST AUC",
                "coverage (%)",
                "typology H (bits)",
                "struct. dist.",
                "validity (of proposals)",
                "candidates / seed",
                "loop seconds / seed",
                "tokens / seed",
                "filter kept/dropped",
                "n elites",
            ],
            rows,
        ),
        "Money recall, funds and realism: 95% bootstrap over the arm's elites (n). Coverage, entropy, "
        "distance "
        f"and cost: mean [min, max] over the {seeds} evolution seeds (one value per seed, too few for a "
        "bootstrap); validity pools every proposal of the arm.",
        "",
    ]


def realism_table(res: dict) -> list[str]:
    groups = [x for x in ["baseline", *res["arms"]] if x in res["realism"]]
    sized = any("sized" in res["realism"][g] for g in groups)  # results from before c2st_sized have none
    plac = any("placebo" in res["realism"][g] for g in groups)  # nor from before the placebo
    rows = []
    for g in groups:
        r = res["realism"][g]
        if "error" in r:
            rows.append([g, r["error"], *[""] * (6 + sized + plac)])
            continue
        nov = r.get("novelty") or {}
        at = r.get("sized")
        rows.append(
            [
                g,
                fmt(r["auc"], False),
                *([f"{at['value']:.3f} ({at['low']:.3f} to {at['high']:.3f}) at {at['n']}" if at else "-"]
                  if sized else []),
                *([_placebo(r)] if plac else []),
                r["scenario_accounts"],
                r["matched_accounts"],
                f"{r['matched_share']:.0%}" if "matched_share" in r else "n/a",
                fmt(r["leak_auc"], False),
                f"`{r['leak_rule']}`",
                " / ".join(_novel(nov.get(k)) for k in ("elites", "drafts")) if nov else "-",
            ]
        )
    return table(
        [
            "group",
            "C2ST AUC (accounts)",
            *(["C2ST AUC at n scenarios: mean of draws (lowest to highest)"] if sized else []),
            *(["placebo AUC (hijacked accounts' background alone); repeats left out"] if plac else []),
            "scenario accounts",
            "matched accounts",
            "scenario accounts with a matched control",
            "leak check AUC (depth-3 tree, single transactions)",
            "its first split",
            "novelty elites / drafts (WL distance to the nearest template)",
        ],
        rows,
    )


def _placebo(r: dict) -> str:
    """The placebo AUC and the repeated scenario accounts the C2ST left out."""
    return (f"{fmt(r['placebo'], False)}; {r.get('repeats', 0)} left out" if r.get("placebo")
            else "-")


def _novel(s: dict | None) -> str:
    """A novelty summary as ``mean [low, high] (n)``."""
    if not s or not s.get("to_reference"):
        return "-"
    t = s["to_reference"]
    return f"{t['mean']:.3f} [{t['low']:.3f}, {t['high']:.3f}] (n={s['n']})"


def _wall(res: dict) -> list[str]:
    """The experiment's wall time over its sittings (`experiments.effect.sittings`), if recorded."""
    w = (res.get("sittings_seconds") or {}).get("summary")
    if not w:
        return []
    cpus = res["sittings_seconds"]["records"][-1]["cpus"]
    what = "Wall time" if w.get("whole") else ("Wall time of the sittings logged (the earlier ones, "
                                                "before the log existed, are not counted)")
    return [f"{what}: {w['seconds'] / 3600:.2f} h over {w['sittings']} sitting(s) that stored "
            f"{w['cells']} cells{'' if w['complete'] else ' (not complete yet)'}; the highest load "
            f"average at a sitting's start was {w['max_load_start']:.2f} on {cpus} cores.", ""]


def _setting(res: dict) -> str:
    w = res["worlds"]
    return (
        f"Evolution ran in World A (seed {w['A']['seed']}: {w['A']['accounts']:,} accounts, "
        f"{w['A']['transactions']:,} transactions, {w['A']['days']} days) against "
        f"{', '.join(res['loop_detectors'])}. Every figure is measured in World B (seed {w['B']['seed']}, "
        f"{w['B']['transactions']:,} transactions), on detectors trained there on baseline typologies only: "
        f"{', '.join(res['detectors'])}. Scenarios are compiled into B's test period (the last 20% of its "
        f"transactions), which no detector trained on; alerts are the top {res['budget']:.1%} of B's "
        f"test-period scores. Arms: {', '.join(res['arms'])}; evolution seeds: "
        f"{', '.join(map(str, res['seeds']))}. Intervals: 95% bootstrap over scenarios; n = scenarios."
    )


def markdown(res: dict, plots: list[str]) -> str:
    e4 = res["e4"]
    lines = [f"# Effect analysis: {res['name']}", ""]
    if res["plumbing_only"]:
        lines += [
            "> **Plumbing only.** The roles ran on a tiny local model: these numbers test the machinery, "
            "never the quality of a plan.",
            "",
        ]
    lines += [
        _setting(res),
        "",
        *_wall(res),
        "## Headline: net funds in cases with no alert, funds-matched",
        "",
        *net_funds_section(res),
        "## E1: hardness",
        "",
        *headline(res),
        "Elites minus drafts is a two-sample bootstrap; a negative gap means the elites are missed more.",
        "",
        "### Per detector and group",
        "",
        *_e1_detail(res),
        f"### Per typology (money recall, mean over detectors, arm `{res['e1']['per_typology_arm']}`)",
        "",
        *_typology(res),
        "## E2: training utility",
        "",
        *e2_table(res),
        "## E3: one ablation per stage",
        "",
        *net_funds_arms(res),
        *net_funds_against_full(res),
        *e3_table(res),
        *llm_table(res),
        "## Realism without the loop's critic",
        "",
        "AUC 0.5 means the discriminator cannot tell scenario accounts from matched legitimate accounts.",
        "",
        *realism_table(res),
        *probes_table(res),
        "## E4: does Elo mean something?",
        "",
    ]
    if e4.get("spearman"):
        lines += [
            f"Spearman correlation of {e4['measure']}, arm `{e4['arm']}`: "
            f"{fmt(e4['spearman'], False)} (n={e4['n']} elites).",
            "",
        ]
    else:
        lines += [f"Not computed: {e4.get('why', 'too few elites')} (n={e4['n']}).", ""]
    lines += ["## Plots", "", *(f"![{p}]({p})" for p in plots), ""]
    return "\n".join(lines)


__all__ = ["e2_table", "e3_table", "fmt", "headline", "markdown", "realism_table", "usd"]
