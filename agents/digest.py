"""Short text views of scenarios and their compiled flows, for prompts and the CLI."""

from __future__ import annotations

import numpy as np

from graph_schema.compiler import CompiledScenario
from graph_schema.dsl import Scenario


def scenario_json(s: Scenario) -> str:
    """The scenario as compact JSON without lineage (what a model reads and rewrites)."""
    return s.model_dump_json(exclude={"lineage"}, exclude_defaults=True)


def flows(c: CompiledScenario, limit: int = 40) -> str:
    """One line per transfer: parties, format, rows, total and timing of its rows."""
    s, ti = c.scenario, c.transfer_index
    ts = c.rows.column("timestamp").to_numpy().view(np.int64)
    t0 = ts.min() if len(ts) else 0
    ch = c.rows.column("channel").to_pylist()
    lines = []
    for i in np.unique(ti)[:limit]:
        m = ti == i
        t = s.transfers[int(i)]
        first = int(np.flatnonzero(m)[0])
        lines.append(
            f"- {t.id}: {t.src} -> {t.dst}, {ch[first]}, {int(m.sum())} tx, total "
            f"{c.base_amounts[m].sum():,.0f} {s.currency.value}, hours {(ts[m].min() - t0) / 3600:.0f}"
            f"-{(ts[m].max() - t0) / 3600:.0f}"
            + (f" [{t.purpose.value}]" if t.purpose.value != "transfer" else "")
        )
    if len(np.unique(ti)) > limit:
        lines.append(f"- ... {len(np.unique(ti)) - limit} more transfers")
    return "\n".join(lines)


__all__ = ["flows", "scenario_json"]
