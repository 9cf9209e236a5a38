"""An evaluation printed as rich tables: one row per group (all, subsets, typologies)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table


def _cell(e: dict) -> str:
    if e["low"] != e["low"]:  # NaN: a group of one scenario has no interval
        return f"{100 * e['value']:.1f}"
    return f"{100 * e['value']:.1f} [{100 * e['low']:.1f}, {100 * e['high']:.1f}]"


def _table(res: dict, title: str, columns: dict[str, str]) -> Table:
    table = Table(title=title)
    for col in ("group", "n", *columns):
        table.add_column(col, justify="left" if col == "group" else "right", no_wrap=True)
    for name, g in res["groups"].items():
        table.add_row(name, str(g["scenarios"]), *(_cell(g[k]) for k in columns.values()))
    return table


def print_evaluation(res: dict, budgets: list[float], console: Console) -> None:
    """Two tables (alert quality; funds in cases with no alert), as wide as they need."""
    wide = Console(width=max(console.width, 150), highlight=False)
    ranking = {"F1": "f1", "PR-AUC": "pr_auc", **{f"recall @{100 * b:g}%": f"recall@{b:g}" for b in budgets}}
    funds = {f"funds no alert @{100 * b:g}%": f"unalerted_funds@{b:g}" for b in budgets}
    title = f"{res['release']}: test period, alerts (%, 95% intervals over scenarios)"
    wide.print(_table(res, title, ranking))
    wide.print(_table(res, "net funds in cases with no alert (%, lower is better for the detector)", funds))
    console.print(f"F1 threshold from: {res['f1_threshold_from']} ({res['thresholds']['f1']:.6g})",
                  highlight=False)


__all__ = ["print_evaluation"]
