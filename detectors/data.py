"""Transactions as flat numpy arrays (the input every detector shares), and dataset loading."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyarrow as pa

from detectors.errors import DatasetError
from graph_schema.formats import FormatError, read_amlworld, read_world
from graph_schema.reference import usd_per_unit
from graph_schema.tables import CHANNELS, CURRENCIES, dictionary_codes

REQUIRED = ["timestamp", "src_account", "dst_account", "amount_paid", "payment_currency",
            "amount_received", "receiving_currency", "channel", "is_laundering"]


@dataclass(frozen=True)
class TxData:
    """Edges of a transaction multigraph, sorted by time.

    Attributes:
        src, dst: int64 node ids in [0, n_nodes).
        t: int64 seconds since the epoch.
        amount_usd, received_usd: amounts converted to US dollars.
        amount_local: the amount paid, in its own currency (for round-number features).
        pay_cur, recv_cur, channel: integer codes into CURRENCIES / CHANNELS.
        y: int8 labels (1 = laundering).
        typology: int16 code into ``typologies`` (-1 for normal transactions).
        edge_id: position of each edge in the source ledger.
    """

    src: np.ndarray
    dst: np.ndarray
    t: np.ndarray
    amount_usd: np.ndarray
    received_usd: np.ndarray
    amount_local: np.ndarray
    pay_cur: np.ndarray
    recv_cur: np.ndarray
    channel: np.ndarray
    y: np.ndarray
    typology: np.ndarray
    typologies: tuple[str, ...]
    n_nodes: int
    edge_id: np.ndarray

    @property
    def n_edges(self) -> int:
        return len(self.src)

    def subset(self, mask: np.ndarray) -> TxData:
        """The edges selected by a boolean mask (node ids unchanged)."""
        idx = np.flatnonzero(mask)
        return replace(self, **{k: getattr(self, k)[idx] for k in _EDGE_FIELDS})

    def append(self, other: TxData) -> TxData:
        """Edges of both, other's after self's (node ids must share one numbering)."""
        names = tuple(dict.fromkeys(self.typologies + other.typologies))
        remap = np.array([names.index(n) for n in other.typologies] + [-1], dtype=np.int16)
        typ = remap[np.where(other.typology < 0, len(other.typologies), other.typology)]
        cols = {k: np.concatenate([getattr(self, k), getattr(other, k)]) for k in _EDGE_FIELDS}
        cols["typology"] = np.concatenate([self.typology, typ])
        return replace(self, **cols, typologies=names, n_nodes=max(self.n_nodes, other.n_nodes))


_EDGE_FIELDS = ["src", "dst", "t", "amount_usd", "received_usd", "amount_local", "pay_cur",
                "recv_cur", "channel", "y", "typology", "edge_id"]


def from_ledger(ledger: pa.Table, n_nodes: int | None = None, source: str = "ledger") -> TxData:
    """Arrays from a ledger table (LEDGER_SCHEMA or a subset with the required columns).

    Raises:
        DatasetError: a required column is missing.
    """
    missing = [c for c in REQUIRED if c not in ledger.column_names]
    if missing:
        raise DatasetError(f"{source}: missing column(s) {', '.join(missing)}")
    t = ledger.column("timestamp").to_numpy().astype("datetime64[s]").view(np.int64)
    order = np.argsort(t, kind="stable")
    rate = usd_per_unit()
    pay = dictionary_codes(ledger.column("payment_currency"), CURRENCIES)
    recv = dictionary_codes(ledger.column("receiving_currency"), CURRENCIES)
    paid = ledger.column("amount_paid").to_numpy().astype(np.float64)
    got = ledger.column("amount_received").to_numpy().astype(np.float64)
    if "typology" in ledger.column_names:
        col = ledger.column("typology")
        col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
        names = tuple(v for v in col.dictionary.to_pylist()) if pa.types.is_dictionary(col.type) \
            else tuple(sorted(set(col.drop_null().to_pylist())))
        typ = dictionary_codes(col, list(names)).astype(np.int16)
    else:
        names, typ = (), np.full(ledger.num_rows, -1, dtype=np.int16)
    src = ledger.column("src_account").to_numpy().astype(np.int64)
    dst = ledger.column("dst_account").to_numpy().astype(np.int64)
    n = int(max(src.max(initial=-1), dst.max(initial=-1)) + 1)
    data = TxData(
        src=src, dst=dst, t=t, amount_usd=paid * rate[pay], received_usd=got * rate[recv],
        amount_local=paid, pay_cur=pay.astype(np.int8), recv_cur=recv.astype(np.int8),
        channel=dictionary_codes(ledger.column("channel"), CHANNELS).astype(np.int8),
        y=ledger.column("is_laundering").to_numpy(zero_copy_only=False).astype(np.int8),
        typology=typ, typologies=names, n_nodes=max(n, n_nodes or 0),
        edge_id=np.arange(ledger.num_rows, dtype=np.int64),
    )
    return _reorder(data, order)


def _reorder(data: TxData, order: np.ndarray) -> TxData:
    if (np.diff(order) == 1).all():
        return data
    return replace(data, **{k: getattr(data, k)[order] for k in _EDGE_FIELDS})


def load_dataset(path: str | Path) -> TxData:
    """Load a Parquet World directory, a ledger Parquet file, or an AMLworld ``*_Trans.csv``.

    Raises:
        DatasetError: the path is not a dataset, misses columns, or has no positive labels.
    """
    path = Path(path)
    try:
        if path.is_dir():
            trans = sorted(path.glob("*_Trans.csv"))
            if (path / "world.json").is_file():
                w = read_world(path)
                data = from_ledger(w.ledger, w.n_accounts, str(path / "ledger.parquet"))
            elif trans:
                w = read_amlworld(trans[0])
                data = from_ledger(w.ledger, w.n_accounts, str(trans[0]))
            else:
                raise DatasetError(f"{path}: no world.json or *_Trans.csv found")
        elif path.suffix == ".parquet":
            import pyarrow.parquet as pq

            data = from_ledger(pq.read_table(path), source=str(path))
        elif path.name.endswith(".csv"):
            w = read_amlworld(path)
            data = from_ledger(w.ledger, w.n_accounts, str(path))
        else:
            raise DatasetError(f"{path}: not a World directory, .parquet ledger or AMLworld CSV")
    except FormatError as err:
        raise DatasetError(str(err)) from None
    except (OSError, pa.ArrowException) as err:
        raise DatasetError(f"{path}: cannot read ({err})") from None
    check_labels(data, str(path))
    return data


def check_labels(data: TxData, source: str) -> None:
    """Raises DatasetError unless there are transactions and both classes are present."""
    if data.n_edges == 0:
        raise DatasetError(f"{source}: no transactions")
    pos = int(data.y.sum())
    if pos == 0:
        raise DatasetError(f"{source}: is_laundering has no positive labels; detectors need some")
    if pos == data.n_edges:
        raise DatasetError(f"{source}: every transaction is labelled laundering")


__all__ = ["TxData", "check_labels", "from_ledger", "load_dataset"]
