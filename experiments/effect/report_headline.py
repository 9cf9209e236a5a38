"""Markdown tables of the headline, net funds in cases with no alert, funds-matched by
volume band (`experiments.effect.headline`), from `results.json`."""

from __future__ import annotations

from experiments.effect.tables import fmt, table


def _main_arm(res: dict) -> str:
    return "full" if "full" in res["arms"] else res["arms"][0]


def _pct(b: str) -> str:
    return f"{100 * float(b):g}%"


def _n(c: dict) -> str:
    return "/".join(str(x) for x in c["n"])


def net_funds_table(res: dict) -> list[str]:
    """Mean over detectors, the main arm, one row per alert budget."""
    nf, arm = res["net_funds"], _main_arm(res)
    rows = []
    for b in nf["budgets"]:
        c = nf["arms"][arm][b]["mean"]
        de, be = c["drafts_elites"], c["baseline_elites"]
        rows.append([
            _pct(b),
            fmt(be["first"]),
            fmt(de["first"]),
            fmt(de["second"]),
            f"**{fmt(de['gap'])}**" if de["gap"] else f"- ({de['why']})",
            fmt(be["gap"]),
            ", ".join(de["bands"]) or "-",
            _n(de),
        ])
    return table(
        [
            f"alert budget (arm `{arm}`, mean over detectors)",
            "baseline templates",
            "planner drafts",
            "evolved elites",
            "elites - drafts (points)",
            "elites - baseline (points)",
            "volume bands",
            "n drafts/elites",
        ],
        rows,
    )


def net_funds_per_detector(res: dict) -> list[str]:
    """Elites minus drafts per detector (rows) and alert budget (columns), the main arm."""
    nf, arm = res["net_funds"], _main_arm(res)
    rows = [
        [d, *(fmt(nf["arms"][arm][b][d]["drafts_elites"]["gap"]) for b in nf["budgets"])]
        for d in [*res["detectors"], "mean"]
    ]
    return table([f"elites - drafts (points), arm `{arm}`", *(_pct(b) for b in nf["budgets"])], rows)


def net_funds_arms(res: dict) -> list[str]:
    """Elites minus drafts, mean over detectors, per arm (E3 on the headline's protocol)."""
    if "net_funds" not in res:
        return []
    nf = res["net_funds"]
    rows = []
    for arm in res["arms"]:
        per = nf["arms"][arm]
        rows.append([arm, *(fmt(per[b]["mean"]["drafts_elites"]["gap"]) for b in nf["budgets"]),
                     fmt(per[nf["budgets"][0]]["mean"]["drafts_elites"]["second"]),
                     _n(per[nf["budgets"][0]]["mean"]["drafts_elites"])])
    first = _pct(nf["budgets"][0])
    return table(["arm", *(f"elites - drafts @ {_pct(b)}" for b in nf["budgets"]),
                   f"elites' net funds unalerted @ {first}", "n drafts/elites"], rows)


def net_funds_against_full(res: dict) -> list[str]:
    """Each arm's drafts and elites minus the whole loop's, funds-matched, mean over detectors
    (empty for results without the comparison, or with no arm besides `full`)."""
    nf = res.get("net_funds")
    if not nf:
        return []
    rows = []
    for arm in res["arms"]:
        first = nf["arms"][arm][nf["budgets"][0]]["mean"]
        if "full" not in first:
            continue
        for kind in ("drafts", "elites"):
            cs = [nf["arms"][arm][b]["mean"]["full"][kind] for b in nf["budgets"]]
            rows.append([arm, kind, *(fmt(c["gap"]) if c["gap"] else f"- ({c['why']})" for c in cs),
                         _n(cs[0])])
    if not rows:
        return []
    return ["Each arm's drafts and elites against the whole loop's (net funds in cases with no alert, "
            "funds-matched over the bands both hold, mean over detectors; a positive gap means more of the "
            "arm's money goes unalerted):", "",
            *table(["arm", "group", *(f"arm - `full` @ {_pct(b)} (points)" for b in nf["budgets"]),
                    "n `full`/arm"], rows)]


def net_funds_section(res: dict) -> list[str]:
    """The report's headline section."""
    if "net_funds" not in res:
        return ["Not measured (results from before the headline existed).", ""]
    nf = res["net_funds"]
    bins = ", ".join(f"{x:,.0f}" for x in nf["volume_bins"])
    return [
        "Net funds in cases with no alert (%): the placed funds of scenarios none of whose transactions "
        f"is alerted, over all placed funds. Each scenario is placed {nf['placements']} times in B's test "
        "period (other times and accounts) and counts by the share of its placements left unalerted; a "
        "detector alerts the top 0.1%, 0.5% or 1% of B's test-period transactions. **Funds-matched:** "
        f"scenarios fall in volume bands of funds placed (edges {bins} USD); two groups are compared in "
        f"the bands where both hold at least {nf['band_min']} scenarios, bands weighted equally, and "
        "scenarios are never rescaled. Intervals: 95% bootstrap, scenarios resampled within group and "
        "band. A positive gap means more of the elites' money goes unalerted.",
        "",
        *net_funds_table(res),
        *net_funds_per_detector(res),
    ]


__all__ = ["net_funds_against_full", "net_funds_arms", "net_funds_per_detector", "net_funds_section",
           "net_funds_table"]
