"""Exports of a partitioned World, streamed: AMLworld's triplet and AMLSim's files written
from the k-way merge of its time-sorted parts.

The period is cut into windows of whole days (about `WINDOW_ROWS` transactions each, fixed
by the data, never by the number of workers). Each window is merged and formatted on its
own into a fragment file, so windows can run in parallel; the fragments are then appended
in order to a temporary file that is renamed into place. Memory per window is about one
Parquet row group per part plus the account numbers, whatever the World's size.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph_schema.formats.amlsim import TX_HEADER, alerts_of, amlsim_paths, tx_table, write_alerts
from graph_schema.formats.amlworld import (
    TRANS_HEADER,
    amlworld_paths,
    append_csv,
    trans_lines,
    write_accounts_and_patterns,
)
from graph_schema.formats.atomic import atomic_path
from graph_schema.formats.partitioned import PartitionedWorld
from graph_schema.runner import Runner, sequential
from graph_schema.tables import LEDGER_SCHEMA

WINDOW_ROWS = 500_000
FORMATS = ("amlworld", "amlsim")

# (day_lo, day_hi, window index, tx id of the window's first row)
Window = tuple[int, int, int, int]


def windows(pw: PartitionedWorld) -> list[Window]:
    """Consecutive day ranges of at least `WINDOW_ROWS` transactions (the last may be smaller)."""
    per_day = np.zeros(pw.config.days, dtype=np.int64)
    for p in pw.parts:
        per_day += np.diff(np.asarray(p.day_offsets, dtype=np.int64))
    out, lo, acc, first = [], 0, 0, 0
    for d in range(pw.config.days):
        acc += int(per_day[d])
        if acc >= WINDOW_ROWS or d == pw.config.days - 1:
            out.append((lo, d + 1, len(out), first))
            lo, first, acc = d + 1, first + acc, 0
    return out


def _fragment(frag_dir: Path, fmt: str, index: int) -> Path:
    return frag_dir / f"{fmt}-{index:05d}.csv"


def write_window(pw: PartitionedWorld, formats: tuple[str, ...], frag_dir: str | Path,
                 day_lo: int, day_hi: int, index: int, first_id: int) -> dict:
    """Merge days ``day_lo:day_hi`` and append their lines to this window's fragments.

    Returns the window's row count, its injected rows (for the Patterns file) and its
    AMLSim alert rows.
    """
    frag_dir = Path(frag_dir)
    numbers = pw.accounts.column("account_number")
    sids = [s.scenario_id for s in pw.scenarios]
    injected, alerts, n = [], [], 0
    with contextlib.ExitStack() as stack:
        files = {f: stack.enter_context(open(_fragment(frag_dir, f, index), "wb")) for f in formats}
        for chunk in pw.merged(day_lo, day_hi):
            if "amlworld" in files:
                append_csv(trans_lines(numbers, chunk), files["amlworld"])
            if "amlsim" in files:
                ids = pa.array(np.arange(first_id + n, first_id + n + chunk.num_rows, dtype=np.int64))
                tx = tx_table(chunk, ids, sids)
                append_csv(tx, files["amlsim"])
                alerts.append(alerts_of(tx))
            injected.append(chunk.filter(pc.is_valid(chunk.column("scenario_id"))))
            n += chunk.num_rows
    return {"rows": n, "injected": pa.concat_tables(injected) if injected else LEDGER_SCHEMA.empty_table(),
            "alerts": pa.concat_tables(alerts) if alerts else None}


def write_exports(pw: PartitionedWorld, out: str | Path, formats: tuple[str, ...] = ("amlworld",),
                  name: str | None = None, runner: Runner = sequential) -> list[Path]:
    """Write the chosen formats of a partitioned World into ``out``; returns the paths.

    ``runner`` runs the windows (`write_window`); every file is renamed into place only
    when whole.
    """
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ValueError(f"formats: '{bad[0]}' is not one of {list(FORMATS)}")
    out = Path(out)
    frag_dir = out / f".fragments-{os.getpid()}"
    frag_dir.mkdir(parents=True, exist_ok=True)
    jobs = windows(pw)
    paths: list[Path] = []
    try:
        results = runner(write_window, (pw, formats, str(frag_dir)), jobs)
        if "amlworld" in formats:
            trip = amlworld_paths(out, name or pw.config.name)
            _concatenate(frag_dir, "amlworld", len(jobs), TRANS_HEADER, trip[0])
            injected = pa.concat_tables([r["injected"] for r in results])
            write_accounts_and_patterns(pw.stub(), injected, trip)
            paths += trip
        if "amlsim" in formats:
            sim = amlsim_paths(out)
            _concatenate(frag_dir, "amlsim", len(jobs), TX_HEADER, sim[0])
            write_alerts(pa.concat_tables([r["alerts"] for r in results]), pw.stub(), sim[1])
            paths += sim
    finally:
        shutil.rmtree(frag_dir, ignore_errors=True)
    return paths


def _concatenate(frag_dir: Path, fmt: str, n: int, header: str, path: Path) -> None:
    """Header plus the fragments in window order; each fragment is deleted once copied,
    so the disk holds the data about once."""
    with atomic_path(path) as tmp, open(tmp, "wb") as dst:
        dst.write((header + "\n").encode())
        for i in range(n):
            frag = _fragment(frag_dir, fmt, i)
            with open(frag, "rb") as src:
                shutil.copyfileobj(src, dst, 16 << 20)
            frag.unlink()
