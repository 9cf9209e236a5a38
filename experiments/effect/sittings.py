"""The experiment's wall time across sittings: each invocation of `redledger experiment` that
runs cells appends one record (when it started, its wall seconds, the cells it stored, whether
the experiment was then complete, and the machine's load average as it started and ended), so a
preset that spans several sittings still reports how long it took in all, and how busy the
machine was meanwhile (the experiment's own workers count towards the load at the end)."""

from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from graph_schema.formats.atomic import write_text_atomic

SITTINGS = "sittings.json"


def read_sittings(out: Path) -> list[dict]:
    """The records of ``out``'s sittings, oldest first (empty when none is stored)."""
    p = Path(out) / SITTINGS
    return json.loads(p.read_text()) if p.exists() else []


@contextmanager
def sitting(out: Path, workers: int, pending: int, total: int):
    """Record one sitting of ``out`` that starts with ``pending`` of the experiment's ``total``
    cells to run (none: nothing is recorded); the body sets ``rec["cells"]`` (cells stored)
    and ``rec["complete"]``.

    The record is stored even when the body raises (an interrupted sitting counts too); the
    file is rewritten atomically, so a crash never leaves half a record.
    """
    rec = {"started": datetime.now(UTC).isoformat(timespec="seconds"), "workers": workers,
           "cpus": os.cpu_count(), "load_start": round(os.getloadavg()[0], 2), "pending": pending,
           "total": total, "cells": 0, "complete": False}
    t0 = time.monotonic()
    try:
        yield rec
    finally:
        rec["seconds"] = round(time.monotonic() - t0, 1)
        rec["load_end"] = round(os.getloadavg()[0], 2)
        if pending:  # an invocation that found nothing to run (only the analysis) is no sitting
            write_text_atomic(Path(out) / SITTINGS, json.dumps([*read_sittings(out), rec], indent=1))


def sittings_summary(records: list[dict]) -> dict | None:
    """Total wall seconds and cells over the sittings, the highest load any began with, and
    whether the log covers the whole experiment (its first sitting began with every cell to
    run; cells stored before this log existed are not counted)."""
    if not records:
        return None
    first = records[0]
    return {"whole": first["pending"] == first.get("total", -1), "sittings": len(records),
            "seconds": round(sum(r["seconds"] for r in records), 1),
            "cells": sum(r["cells"] for r in records), "complete": records[-1]["complete"],
            "max_load_start": max(r["load_start"] for r in records)}


__all__ = ["SITTINGS", "read_sittings", "sitting", "sittings_summary"]
