"""Exports of a partitioned World, streamed: AMLworld's triplet and AMLSim's files written
from the k-way merge of its time-sorted parts.

The period is cut into windows of whole days (about `WINDOW_ROWS` transactions each, fixed
by the data, never by the number of workers). Each window is merged and formatted on its
own, so windows can run in parallel; their text is appended in window order to a
temporary file that is renamed into place. Memory per window is one Parquet row group per
part, the account numbers and the window's text, whatever the World's size.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow as pa

from graph_schema.formats.amlsim import TX_HEADER, alerts_of, amlsim_paths, tx_table, write_alerts
from graph_schema.formats.amlworld import (
    TRANS_HEADER,
    amlworld_paths,
    append_csv,
    laundering_rows,
    trans_lines,
    write_accounts_and_patterns,
)
from graph_schema.formats.atomic import atomic_path
from graph_schema.formats.partitioned import PartitionedWorld
from graph_schema.runner import Runner, sequential
from graph_schema.tables import LEDGER_SCHEMA

WINDOW_ROWS = 500_000
FORMATS = ("amlworld", "amlsim")

# (day_lo, day_hi, tx id of the window's first row)
Window = tuple[int, int, int]


def windows(pw: PartitionedWorld) -> list[Window]:
    """Consecutive day ranges of at least `WINDOW_ROWS` transactions (the last may be smaller)."""
    per_day = np.zeros(pw.config.days, dtype=np.int64)
    for p in pw.parts:
        per_day += np.diff(np.asarray(p.day_offsets, dtype=np.int64))
    out, lo, acc, first = [], 0, 0, 0
    for d in range(pw.config.days):
        acc += int(per_day[d])
        if acc >= WINDOW_ROWS or d == pw.config.days - 1:
            out.append((lo, d + 1, first))
            lo, first, acc = d + 1, first + acc, 0
    return out


def write_window(pw: PartitionedWorld, sids: list[str], formats: tuple[str, ...], day_lo: int,
                 day_hi: int, first_id: int) -> dict:
    """Merge days ``day_lo:day_hi`` and format their lines.

    Returns the window's CSV text per format (an Arrow buffer, which Ray
    hands over without copying), its injected rows (for the Patterns file) and its AMLSim
    alert rows.
    """
    numbers = pw.accounts.column("account_number")
    sinks = {f: pa.BufferOutputStream() for f in formats}
    injected, alerts, n = [], [], 0
    for chunk in pw.merged(day_lo, day_hi):
        if "amlworld" in sinks:
            append_csv(trans_lines(numbers, chunk), sinks["amlworld"])
        if "amlsim" in sinks:
            ids = pa.array(np.arange(first_id + n, first_id + n + chunk.num_rows, dtype=np.int64))
            tx = tx_table(chunk, ids, sids)
            append_csv(tx, sinks["amlsim"])
            alerts.append(alerts_of(tx))
        injected.append(laundering_rows(chunk))
        n += chunk.num_rows
    return {"text": {f: sink.getvalue() for f, sink in sinks.items()},
            "injected": pa.concat_tables(injected) if injected else LEDGER_SCHEMA.empty_table(),
            "alerts": pa.concat_tables(alerts) if alerts else None}


def write_exports(pw: PartitionedWorld, out: str | Path, formats: tuple[str, ...] = ("amlworld",),
                  name: str | None = None, runner: Runner = sequential) -> list[Path]:
    """Write the chosen formats of a partitioned World into ``out``; returns the paths.

    ``runner`` formats the windows (`write_window`), possibly in parallel; their text is
    appended here in window order, so each file is written once, sequentially. Every file
    is renamed into place only when whole.
    """
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ValueError(f"formats: '{bad[0]}' is not one of {list(FORMATS)}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    trip = amlworld_paths(out, name or pw.config.name) if "amlworld" in formats else []
    sim = amlsim_paths(out) if "amlsim" in formats else []
    targets = {"amlworld": (trip[:1], TRANS_HEADER), "amlsim": (sim[:1], TX_HEADER)}
    injected, alerts = [], []
    with contextlib.ExitStack() as stack:
        files = {}
        for f in formats:
            (path,), header = targets[f]
            files[f] = stack.enter_context(open(stack.enter_context(atomic_path(path)), "wb"))
            files[f].write((header + "\n").encode())
        # The windows get only what they read: account numbers, scenario ids, the parts.
        light = replace(pw, accounts=pw.accounts.select(["account_number"]), scenarios=[])
        sids = [s.scenario_id for s in pw.scenarios]
        for res in runner(write_window, (light, sids, formats), windows(pw)):
            for f, text in res["text"].items():
                files[f].write(memoryview(text))
            injected.append(res["injected"])
            if res["alerts"] is not None:
                alerts.append(res["alerts"])
        for fh in files.values():
            fh.close()  # before the rename that leaving atomic_path does
    if trip:
        write_accounts_and_patterns(pw.stub(), pa.concat_tables(injected), trip)
    if sim:
        write_alerts(pa.concat_tables(alerts), pw.stub(), sim[1])
    return trip + sim
