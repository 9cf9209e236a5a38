"""Formatting shared by the effect analysis' reports: estimates as ``value [low, high]``
and Markdown tables."""

from __future__ import annotations


def fmt(e: dict | None, pct: bool = True) -> str:
    """``value [low, high]`` of an estimate dict (percentage points when ``pct``)."""
    if e is None:
        return "-"
    f = (lambda v: f"{100 * v:.1f}") if pct else (lambda v: f"{v:.3f}")
    return f"{f(e['value'])} [{f(e['low'])}, {f(e['high'])}]"


def usd(e: dict | None) -> str:
    """``value [low, high]`` of an estimate in whole US dollars."""
    return "-" if e is None else f"{e['value']:,.0f} [{e['low']:,.0f}, {e['high']:,.0f}]"


def table(head: list[str], rows: list[list]) -> list[str]:
    return [
        "| " + " | ".join(head) + " |",
        "|" + "|".join("---" if i == 0 else "---:" for i in range(len(head))) + "|",
        *("| " + " | ".join(str(c) for c in r) + " |" for r in rows),
        "",
    ]


__all__ = ["fmt", "table", "usd"]
