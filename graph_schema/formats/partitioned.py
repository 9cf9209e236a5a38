"""A partitioned World on disk: the ledger as time-sorted Parquet parts, merged on demand.

Layout (beside the usual ``world.json``, ``accounts.parquet``, ``banks.parquet`` and
``scenarios.jsonl``)::

    ledger/parts.json          the parts in merge order: file, rows, kind, day offsets
    ledger/part-00000.parquet  background rows driven by shard 0's accounts, by time
    ...
    ledger/injected.parquet    every injected scenario's rows, by time

Each part's ``tx_id`` is local to the part. The World's ledger is the merge of all parts
by time, ties in part order (background before injected, as `inject` orders them), with
``tx_id`` renumbered to the merged row index; `materialise` builds it in memory and
`merged` streams it in bounded batches. ``day_offsets[d]`` is the row of a part's first
transaction on day ``d`` or later, so a day range of every part is found without reading.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from graph_schema.formats.atomic import atomic_path, write_text_atomic
from graph_schema.formats.parquet import FormatError, read_scenarios, read_table, read_world_config
from graph_schema.tables import (
    ACCOUNT_SCHEMA,
    BANK_SCHEMA,
    LEDGER_SCHEMA,
    concat_take,
    empty_ledger,
    time_sorted,
)
from graph_schema.world import World, WorldConfig

MANIFEST = "ledger/parts.json"
ROW_GROUP = 131_072  # rows per Parquet row group: the unit a streaming reader holds per part
# Parquet's own dictionary encoding only where values repeat (encoding amounts and ids
# costs more than generating them); statistics only on the merge key.
_DICTIONARY = ["src_bank", "dst_bank", "payment_currency", "receiving_currency", "channel",
               "is_laundering", "scenario_id", "typology", "role"]
KINDS = ("background", "injected")


@dataclass(frozen=True)
class Part:
    """One time-sorted Parquet part of a partitioned ledger."""

    file: str
    rows: int
    kind: str
    day_offsets: list[int]


def is_partitioned(path: str | Path) -> bool:
    return (Path(path) / MANIFEST).is_file()


def write_part(table: pa.Table, path: str | Path) -> None:
    """Write one part atomically, in row groups of `ROW_GROUP` rows (same table, same bytes)."""
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd", row_group_size=ROW_GROUP, use_dictionary=_DICTIONARY,
                       write_statistics=["timestamp"])


def write_manifest(out: str | Path, parts: list[Part], shards: int) -> None:
    doc = {"format": "redledger partitioned ledger", "version": 1, "shards": shards,
           "parts": [p.__dict__ for p in parts]}
    write_text_atomic(Path(out) / MANIFEST, json.dumps(doc, indent=1, sort_keys=True) + "\n")


def day_offsets(table: pa.Table, cfg: WorldConfig) -> list[int]:
    """Row offsets of each day's first transaction in a time-sorted table (``days + 1`` values)."""
    ts = table.column("timestamp").to_numpy().view(np.int64)
    return np.searchsorted(ts, cfg.start_epoch + 86_400 * np.arange(cfg.days + 1)).tolist()


@dataclass
class PartitionedWorld:
    """A partitioned World directory: config, banks, accounts and scenarios in memory, the
    ledger's parts on disk."""

    path: Path
    config: WorldConfig
    banks: pa.Table
    accounts: pa.Table
    scenarios: list
    parts: list[Part]
    shards: int
    _files: dict = field(default_factory=dict, repr=False)

    def __getstate__(self) -> dict:  # open Parquet files stay with their process
        return {**self.__dict__, "_files": {}}

    @property
    def n_transactions(self) -> int:
        return sum(p.rows for p in self.parts)

    @property
    def n_accounts(self) -> int:
        return self.accounts.num_rows

    def stub(self) -> World:
        """The World without its ledger: enough to compile scenarios (which read only banks
        and accounts) and to resolve hijacked accounts through its profile index."""
        return World(self.config, self.banks, self.accounts, empty_ledger(), list(self.scenarios))

    def materialise(self) -> World:
        """The whole World in memory, its ledger merged from the parts."""
        ledger = time_sorted([self.read_rows(p, 0, p.rows) for p in self.parts])
        return World(self.config, self.banks, self.accounts, ledger, list(self.scenarios))

    def _file(self, part: Part) -> pq.ParquetFile:
        if part.file not in self._files:
            path = self.path / "ledger" / part.file
            try:
                self._files[part.file] = pq.ParquetFile(path)
            except (OSError, pa.ArrowException) as err:
                raise FormatError(f"{path}: not a readable Parquet file ({err})") from None
        return self._files[part.file]

    def read_rows(self, part: Part, a: int, b: int) -> pa.Table:
        """Rows ``a:b`` of a part (only the row groups that hold them are read)."""
        return pa.concat_tables(list(self._row_groups(part, a, b)) or [empty_ledger()])

    def _row_groups(self, part: Part, a: int, b: int) -> Iterator[pa.Table]:
        f = self._file(part)
        start = 0
        for g in range(f.metadata.num_row_groups):
            n = f.metadata.row_group(g).num_rows
            lo, hi = max(a, start), min(b, start + n)
            if lo < hi:
                t = f.read_row_group(g)
                yield _typed(t, self.path / "ledger" / part.file).slice(lo - start, hi - lo)
            start += n
            if start >= b:
                break

    def day_range(self, part: Part, day_lo: int, day_hi: int) -> tuple[int, int]:
        return part.day_offsets[day_lo], part.day_offsets[day_hi]

    def merged(self, day_lo: int = 0, day_hi: int | None = None) -> Iterator[pa.Table]:
        """The merged ledger's rows of days ``day_lo:day_hi`` in order, as a stream of tables.

        A k-way merge: each part contributes one row group at a time, and a batch is emitted
        up to the smallest "last timestamp" among parts that still have rows on disk, so
        memory holds about one row group per part whatever the World's size. ``tx_id`` is
        left local; the caller numbers rows as it consumes them.
        """
        day_hi = self.config.days if day_hi is None else day_hi
        cursors = [self._row_groups(p, *self.day_range(p, day_lo, day_hi)) for p in self.parts]
        bufs: list[pa.Table | None] = [next(c, None) for c in cursors]
        more = [b is not None for b in bufs]
        while True:
            live = [k for k, b in enumerate(bufs) if b is not None and b.num_rows]
            if not live:
                return
            pending = [k for k in live if more[k]]
            cutoff = min(_ts(bufs[k])[-1] for k in pending) if pending else None
            take, rest = [], {}
            for k in live:
                ts = _ts(bufs[k])
                n = len(ts) if cutoff is None else int(np.searchsorted(ts, cutoff, side="left"))
                if n:
                    take.append(bufs[k].slice(0, n))
                rest[k] = bufs[k].slice(n)
            if take:
                ts = np.concatenate([_ts(t) for t in take])
                yield concat_take(take, LEDGER_SCHEMA, np.argsort(ts, kind="stable"))
            for k, b in rest.items():
                bufs[k] = b
                if more[k] and (b.num_rows == 0 or _ts(b)[-1] == cutoff):
                    nxt = next(cursors[k], None)
                    if nxt is None:
                        more[k] = False
                    else:
                        bufs[k] = pa.concat_tables([b, nxt]) if b.num_rows else nxt


def _ts(t: pa.Table) -> np.ndarray:
    return t.column("timestamp").to_numpy().view(np.int64)


def _typed(t: pa.Table, path: Path) -> pa.Table:
    if t.schema.names != LEDGER_SCHEMA.names:
        missing = [n for n in LEDGER_SCHEMA.names if n not in t.schema.names]
        raise FormatError(f"{path}: column '{(missing or t.schema.names)[0]}': a ledger part needs "
                          f"exactly the ledger columns")
    return t.cast(LEDGER_SCHEMA) if t.schema != LEDGER_SCHEMA else t


def open_partitioned(path: str | Path) -> PartitionedWorld:
    """Open a partitioned World directory (nothing of the ledger is read).

    Raises:
        FormatError: the manifest or a table is missing or malformed (names file and field).
    """
    path = Path(path)
    cfg = read_world_config(path)
    mpath = path / MANIFEST
    try:
        doc = json.loads(mpath.read_text(encoding="utf-8"))
        raw = doc["parts"]
        shards = int(doc["shards"])
    except OSError as err:
        raise FormatError(f"{mpath}: cannot read ({err.strerror})") from None
    except (ValueError, KeyError, TypeError) as err:
        expected = "{'shards': N, 'parts': [...]}"
        raise FormatError(f"{mpath}: {type(err).__name__} {err}: expected {expected}") from None
    parts = []
    for i, p in enumerate(raw):
        try:
            part = Part(str(p["file"]), int(p["rows"]), str(p["kind"]), [int(x) for x in p["day_offsets"]])
        except (KeyError, TypeError, ValueError) as err:
            raise FormatError(
                f"{mpath}: parts[{i}]: needs file, rows, kind and day_offsets ({err})"
            ) from None
        if part.kind not in KINDS:
            raise FormatError(f"{mpath}: parts[{i}].kind: '{part.kind}' is not one of {list(KINDS)}")
        if len(part.day_offsets) != cfg.days + 1 or part.day_offsets[-1] > part.rows:
            raise FormatError(
                f"{mpath}: parts[{i}].day_offsets: needs days + 1 = {cfg.days + 1} offsets, none above rows"
            )
        if not (path / "ledger" / part.file).is_file():
            raise FormatError(f"{path / 'ledger' / part.file}: part listed in {MANIFEST} is missing")
        parts.append(part)
    return PartitionedWorld(
        path,
        cfg,
        read_table(path / "banks.parquet", BANK_SCHEMA),
        read_table(path / "accounts.parquet", ACCOUNT_SCHEMA),
        read_scenarios(path),
        parts,
        shards,
    )
