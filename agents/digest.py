"""Short text views of scenarios and their compiled flows, for prompts and the CLI."""

from __future__ import annotations

import json
from enum import Enum

import numpy as np
from pydantic import BaseModel

from graph_schema.compiler import CompiledScenario
from graph_schema.dsl import Scenario

KEEP = ("kind", "mode")  # the unions' discriminators: written even at their defaults


def compact_doc(m: BaseModel) -> dict:
    """``m`` as JSON data without the fields left at their defaults, except the unions'
    discriminators: the compact form a model writes under the compact grammar."""
    out = {}
    for name, field in type(m).model_fields.items():
        v = getattr(m, name)
        if name not in KEEP and not field.is_required() and v == field.get_default(call_default_factory=True):
            continue
        out[name] = _compact_value(v)
    return out


def _compact_value(v):
    if isinstance(v, BaseModel):
        return compact_doc(v)
    if isinstance(v, list | tuple):
        return [_compact_value(x) for x in v]
    return v.value if isinstance(v, Enum) else v


def scenario_json(s: Scenario) -> str:
    """The scenario as compact JSON without lineage (what a model reads and rewrites)."""
    doc = compact_doc(s)
    doc.pop("lineage", None)
    return json.dumps(doc, separators=(",", ":"))


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
