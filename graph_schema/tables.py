"""Arrow schemas of the ledger and account tables, and vectorised builders for them.

Categorical columns are dictionary-encoded so that millions of rows never become Python
strings; ``codes_to_dictionary`` builds them straight from integer codes.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from graph_schema.enums import Channel, Currency, EntityKind, Profile

CHANNELS: list[str] = [c.value for c in Channel]
CURRENCIES: list[str] = [c.value for c in Currency]
PROFILES: list[str] = [p.value for p in Profile]
KINDS: list[str] = [k.value for k in EntityKind]

_DICT = pa.dictionary(pa.int32(), pa.string())

LEDGER_SCHEMA = pa.schema(
    [
        pa.field("tx_id", pa.int64(), nullable=False),
        pa.field("timestamp", pa.timestamp("s"), nullable=False),
        pa.field("src_account", pa.int64(), nullable=False),
        pa.field("src_bank", pa.int32(), nullable=False),
        pa.field("dst_account", pa.int64(), nullable=False),
        pa.field("dst_bank", pa.int32(), nullable=False),
        pa.field("amount_paid", pa.float64(), nullable=False),
        pa.field("payment_currency", _DICT, nullable=False),
        pa.field("amount_received", pa.float64(), nullable=False),
        pa.field("receiving_currency", _DICT, nullable=False),
        pa.field("channel", _DICT, nullable=False),
        pa.field("is_laundering", pa.bool_(), nullable=False),
        pa.field("scenario_id", _DICT),
        pa.field("typology", _DICT),
        pa.field("role", _DICT),
    ]
)

ACCOUNT_SCHEMA = pa.schema(
    [
        pa.field("account_id", pa.int64(), nullable=False),
        pa.field("bank_id", pa.int32(), nullable=False),
        pa.field("account_number", pa.string(), nullable=False),
        pa.field("entity_id", pa.string(), nullable=False),
        pa.field("entity_name", pa.string(), nullable=False),
        pa.field("profile", _DICT, nullable=False),
        pa.field("kind", _DICT, nullable=False),
        pa.field("jurisdiction", _DICT, nullable=False),
        pa.field("currency", _DICT, nullable=False),
    ]
)

BANK_SCHEMA = pa.schema(
    [
        pa.field("bank_id", pa.int32(), nullable=False),
        pa.field("bank_name", pa.string(), nullable=False),
        pa.field("jurisdiction", pa.string(), nullable=False),
        pa.field("currency", pa.string(), nullable=False),
    ]
)


def codes_to_dictionary(codes: np.ndarray, values: list[str]) -> pa.DictionaryArray:
    """Dictionary array from integer codes into ``values``; a code of -1 becomes null."""
    codes = np.asarray(codes, dtype=np.int32)
    mask = codes < 0
    idx = pa.array(codes, type=pa.int32(), mask=mask if mask.any() else None)
    return pa.DictionaryArray.from_arrays(idx, pa.array(values, type=pa.string()))


def dictionary_codes(col: pa.ChunkedArray | pa.Array, values: list[str]) -> np.ndarray:
    """Integer codes of a string or dictionary column against ``values``; null gives -1.

    Raises:
        ValueError: a value of the column is not in ``values``.
    """
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    if pa.types.is_dictionary(col.type):
        dict_values = col.dictionary.to_pylist()
        pos = {v: i for i, v in enumerate(values)}
        lookup = np.array([_index(pos, values, v) for v in dict_values] + [-1], dtype=np.int32)
        idx = col.indices.fill_null(0).to_numpy(zero_copy_only=False)
        idx = np.where(col.is_null().to_numpy(zero_copy_only=False), len(dict_values), idx)
        return lookup[idx.astype(np.int64)]
    enc = col.dictionary_encode()
    return dictionary_codes(enc, values)


def _index(pos: dict, values: list[str], v: str | None) -> int:
    if v is None:
        return -1
    if v not in pos:
        raise ValueError(f"value {v!r} is not one of {values}")
    return pos[v]


def ledger_table(cols: dict[str, np.ndarray], *, scenario_values: list[str] | None = None,
                 typology_values: list[str] | None = None,
                 role_values: list[str] | None = None) -> pa.Table:
    """Build a ledger table from numpy columns.

    Args:
        cols: ``tx_id``, ``timestamp`` (int64 seconds since the epoch), ``src_account``,
            ``src_bank``, ``dst_account``, ``dst_bank``, ``amount_paid``, ``payment_currency``
            (codes into CURRENCIES), ``amount_received``, ``receiving_currency``,
            ``channel`` (codes into CHANNELS), ``is_laundering``, and optionally
            ``scenario_id``, ``typology``, ``role`` as codes into the given value lists
            (-1 for background rows).
    """
    n = len(cols["tx_id"])
    none = np.full(n, -1, dtype=np.int32)
    arrays = [
        pa.array(cols["tx_id"], type=pa.int64()),
        pa.array(np.asarray(cols["timestamp"], dtype="datetime64[s]"), type=pa.timestamp("s")),
        pa.array(cols["src_account"], type=pa.int64()),
        pa.array(cols["src_bank"], type=pa.int32()),
        pa.array(cols["dst_account"], type=pa.int64()),
        pa.array(cols["dst_bank"], type=pa.int32()),
        pa.array(cols["amount_paid"], type=pa.float64()),
        codes_to_dictionary(cols["payment_currency"], CURRENCIES),
        pa.array(cols["amount_received"], type=pa.float64()),
        codes_to_dictionary(cols["receiving_currency"], CURRENCIES),
        codes_to_dictionary(cols["channel"], CHANNELS),
        pa.array(np.asarray(cols["is_laundering"], dtype=bool), type=pa.bool_()),
        codes_to_dictionary(cols.get("scenario_id", none), scenario_values or []),
        codes_to_dictionary(cols.get("typology", none), typology_values or []),
        codes_to_dictionary(cols.get("role", none), role_values or []),
    ]
    return pa.Table.from_arrays(arrays, schema=LEDGER_SCHEMA)


def empty_ledger() -> pa.Table:
    return LEDGER_SCHEMA.empty_table()


def _codes_and_values(col: pa.ChunkedArray) -> tuple[np.ndarray, list]:
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if isinstance(arr, pa.ChunkedArray):  # zero chunks
        arr = pa.array([], type=col.type)
    values = arr.dictionary.to_pylist()
    codes = arr.indices.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int32)
    if arr.null_count:
        codes = np.where(arr.is_null().to_numpy(zero_copy_only=False), -1, codes)
    return codes, values


def concat_take(tables: list[pa.Table], schema: pa.Schema, order: np.ndarray | None) -> pa.Table:
    """Concatenate tables of ``schema`` and reorder rows by ``order``, in numpy.

    Much faster than Arrow's ``take`` on dictionary columns: dictionaries are unified by
    remapping integer codes, never by touching strings row by row. No tables give the
    empty table of ``schema``.
    """
    if not tables:
        return schema.empty_table()
    arrays = []
    for f in schema:
        cols = [t.column(f.name) for t in tables]
        if pa.types.is_dictionary(f.type):
            values: list = []
            index: dict = {}
            parts = []
            for c in cols:
                codes, vals = _codes_and_values(c)
                remap = np.array([index.setdefault(v, len(index)) for v in vals] + [-1], dtype=np.int32)
                parts.append(remap[np.where(codes < 0, len(vals), codes)])
            values = list(index)
            codes = np.concatenate(parts) if parts else np.zeros(0, np.int32)
            arrays.append(codes_to_dictionary(codes if order is None else codes[order], values))
        else:
            np_cols = [c.to_numpy() for c in cols]
            data = np.concatenate(np_cols) if np_cols else np.zeros(0)
            arrays.append(pa.array(data if order is None else data[order], type=f.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def time_sorted(tables: list[pa.Table]) -> pa.Table:
    """Ledger tables merged into one by time (ties keep table, then row order), with
    ``tx_id`` renumbered to the row index."""
    ts = [t.column("timestamp").to_numpy().view(np.int64) for t in tables]
    order = np.argsort(np.concatenate(ts) if ts else np.zeros(0, np.int64), kind="stable")
    ledger = concat_take(tables, LEDGER_SCHEMA, order)
    return ledger.set_column(0, LEDGER_SCHEMA.field(0), pa.array(np.arange(len(order), dtype=np.int64)))
