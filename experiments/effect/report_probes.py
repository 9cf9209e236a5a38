"""The single-split probes in the effect report: per group, the out-of-fold AUC of one split
on each probe's property alone, its interval over scenarios, and the split
(`results.json`'s ``realism[group]["probes"]``; `experiments.effect.probes`)."""

from __future__ import annotations

from experiments.effect.probes import PROBES
from experiments.effect.tables import fmt, table


def probes_table(res: dict) -> list[str]:
    """The probes' table, or nothing when no realism row has probes (older results)."""
    groups = [g for g in ["baseline", *res["arms"]] if "probes" in res["realism"].get(g, {})]
    if not groups:
        return []
    rows = []
    for g in groups:
        for name, p in res["realism"][g]["probes"].items():
            rows.append([g, f"{name} ({PROBES.get(name, name)})", fmt(p["auc"], False), p["auc"]["n"],
                         f"`{p['rule']}`"])
    return [
        "Single-split probes (one threshold on one property of a transaction, out of fold; the "
        "interval resamples scenarios with their matched accounts; 0.5 = the property alone tells "
        "nothing):",
        "",
        *table(["group", "property", "AUC of one split", "scenarios", "the split on all rows"], rows),
    ]


__all__ = ["probes_table"]
