"""Reading AMLworld's triplet back as a World (`read_amlworld`): a user's AMLworld data,
or our own export, keyed by (bank, account number)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from graph_schema.enums import Profile
from graph_schema.formats.amlworld import BANK_WIDTH, TIME_FORMAT, TRANS_COLUMNS, TRANS_HEADER
from graph_schema.formats.parquet import FormatError
from graph_schema.reference import jurisdictions
from graph_schema.tables import (
    ACCOUNT_SCHEMA,
    BANK_SCHEMA,
    CHANNELS,
    CURRENCIES,
    KINDS,
    LEDGER_SCHEMA,
    PROFILES,
    codes_to_dictionary,
    dictionary_codes,
    ledger_table,
)
from graph_schema.world import World, WorldConfig


def read_amlworld(trans_csv: str | Path, name: str | None = None) -> World:
    """Read an AMLworld ``*_Trans.csv`` (and its ``*_accounts.csv`` if present) as a World.

    Accounts are keyed by (bank, account number). Banks get the jurisdiction whose currency
    their accounts pay in most; profiles are unknown, so hijacking needs a profile of
    'unknown' on such a World.

    Raises:
        FormatError: the header or a value does not follow AMLworld's format.
    """
    path = Path(trans_csv)
    try:
        with open(path, encoding="utf-8") as fh:
            header = fh.readline().rstrip("\r\n")
    except OSError as err:
        raise FormatError(f"{path}: cannot read ({err.strerror})") from None
    if header != TRANS_HEADER:
        raise FormatError(f"{path}: header: expected AMLworld's header '{TRANS_HEADER}'")
    try:  # read once, as text: the pattern blocks are matched on the rows' exact text
        raw = pcsv.read_csv(path, pcsv.ReadOptions(column_names=TRANS_COLUMNS, skip_rows=1),
                            convert_options=pcsv.ConvertOptions(
                                column_types=dict.fromkeys(TRANS_COLUMNS, pa.string())))
    except pa.ArrowInvalid as err:
        raise FormatError(f"{path}: {str(err).splitlines()[0]}") from None
    t = raw
    for col, convert in (("timestamp", lambda c: pc.strptime(c, format=TIME_FORMAT, unit="s")),
                         ("amount_received", lambda c: pc.cast(c, pa.float64())),
                         ("amount_paid", lambda c: pc.cast(c, pa.float64())),
                         ("is_laundering", lambda c: pc.cast(c, pa.int8()))):
        try:
            t = t.set_column(t.schema.get_field_index(col), col, convert(t.column(col)))
        except pa.ArrowInvalid as err:
            raise FormatError(f"{path}: column '{col}': {str(err).splitlines()[0]}") from None
    order = pa.array(np.argsort(t.column("timestamp").to_numpy().view(np.int64), kind="stable"))
    t, raw = t.take(order), raw.take(order)
    if t.num_rows == 0:
        raise FormatError(f"{path}: no transactions")
    for col, allowed in (("payment_currency", CURRENCIES), ("receiving_currency", CURRENCIES),
                         ("payment_format", CHANNELS)):
        bad = pc.invert(pc.is_in(t.column(col), pa.array(allowed)))
        if pc.any(bad).as_py():
            v = t.column(col).filter(bad)[0].as_py()
            raise FormatError(f"{path}: column '{col}': '{v}' is not one of AMLworld's values")
    if not pc.all(pc.is_in(t.column("is_laundering"), pa.array([0, 1], pa.int8()))).as_py():
        raise FormatError(f"{path}: column 'Is Laundering': values must be 0 or 1")
    world = _to_world(t, path, name)
    patterns = path.with_name(path.name.replace("_Trans.csv", "_Patterns.txt"))
    if patterns.is_file() and patterns != path:
        world = _label_typologies(world, raw, patterns)
    return world


def _label_typologies(world: World, raw: pa.Table, patterns: Path) -> World:
    """Typology of each laundering row from the pattern blocks, matched by the row's text
    (``raw``: the CSV's text columns, in ledger order)."""
    kinds: dict[str, str] = {}
    current = None
    for line in patterns.read_text(encoding="utf-8").splitlines():
        if line.startswith("BEGIN LAUNDERING ATTEMPT - "):
            current = line[len("BEGIN LAUNDERING ATTEMPT - "):].split(":")[0].strip()
            current = current.lower().replace("-", "_")
        elif line.startswith("END LAUNDERING ATTEMPT"):
            current = None
        elif current and line.strip():
            kinds[line.strip()] = current
    lab = np.flatnonzero(world.ledger.column("is_laundering").to_numpy())
    rows = raw.take(pa.array(lab))
    lines = pc.binary_join_element_wise(*[rows.column(c) for c in TRANS_COLUMNS], ",").to_pylist()
    names = sorted(set(kinds.values()))
    codes = np.full(world.ledger.num_rows, -1, dtype=np.int32)
    for i, line in zip(lab, lines, strict=True):
        k = kinds.get(line)
        codes[i] = names.index(k) if k else -1
    led = world.ledger.set_column(world.ledger.schema.get_field_index("typology"),
                                  LEDGER_SCHEMA.field("typology"), codes_to_dictionary(codes, names))
    return World(world.config, world.banks, world.accounts, led)


def _banks(
    bank_codes: np.ndarray, bank_idx: np.ndarray, acc_cur: np.ndarray, path: Path
) -> tuple[pa.Table, list[str]]:
    """The bank table and each bank's jurisdiction: a bank's currency is the one most of its
    accounts use, its jurisdiction the first whose currency that is."""
    bank_cur = np.array(
        [
            np.bincount(acc_cur[bank_idx == b], minlength=len(CURRENCIES)).argmax()
            for b in range(len(bank_codes))
        ]
    )
    cur_to_jur = {}
    for j in jurisdictions():
        cur_to_jur.setdefault(j.currency, j.code)
    bank_jur = [cur_to_jur.get(CURRENCIES[c], "US") for c in bank_cur]
    names = _read_bank_names(path)
    banks = pa.Table.from_arrays(
        [
            pa.array(np.arange(len(bank_codes), dtype=np.int32)),
            pa.array([names.get(int(c), f"Bank {int(c):0{BANK_WIDTH}d}") for c in bank_codes]),
            pa.array(bank_jur),
            pa.array([CURRENCIES[c] for c in bank_cur]),
        ],
        schema=BANK_SCHEMA,
    )
    return banks, bank_jur


def _period(ts: np.ndarray) -> tuple[dt.date, int]:
    """The first day (UTC) and the number of days that timestamps ``ts`` (Unix seconds) span."""
    start = dt.datetime.fromtimestamp(int(ts.min()), dt.UTC).date()
    start_epoch = int(dt.datetime(start.year, start.month, start.day, tzinfo=dt.UTC).timestamp())
    return start, int((ts.max() - start_epoch) // 86_400) + 1


def _accounts(acc_number: pa.Array, bank_idx: np.ndarray, bank_jur: list[str],
              acc_cur: np.ndarray) -> pa.Table:
    """The account table: numbers as ids and names, profile unknown, the bank's jurisdiction."""
    n_acc = len(acc_number)
    jur_values = sorted(set(bank_jur))
    return pa.Table.from_arrays(
        [
            pa.array(np.arange(n_acc, dtype=np.int64)),
            pa.array(bank_idx.astype(np.int32)),
            acc_number,
            acc_number,
            pc.binary_join_element_wise(pa.array(["Account"] * n_acc), acc_number, " "),
            codes_to_dictionary(np.full(n_acc, PROFILES.index(Profile.UNKNOWN.value)), PROFILES),
            codes_to_dictionary(np.zeros(n_acc, dtype=np.int32), KINDS),
            codes_to_dictionary(np.array([jur_values.index(bank_jur[b]) for b in bank_idx]), jur_values),
            codes_to_dictionary(acc_cur, CURRENCIES),
        ],
        schema=ACCOUNT_SCHEMA,
    )


def _to_world(t: pa.Table, path: Path, name: str | None) -> World:
    """A World from the typed, time-sorted transaction table."""
    n = t.num_rows
    bank_str = pc.cast(
        pc.cast(
            pa.concat_arrays([t.column("from_bank").combine_chunks(), t.column("to_bank").combine_chunks()]),
            pa.int64(),
        ),
        pa.string(),
    )
    acct = pa.concat_arrays(
        [t.column("from_account").combine_chunks(), t.column("to_account").combine_chunks()]
    )
    key = pc.binary_join_element_wise(bank_str, acct, "/").dictionary_encode()
    ids = key.indices.to_numpy().astype(np.int64)
    n_acc = len(key.dictionary)
    first = np.full(n_acc, -1, dtype=np.int64)
    first[ids[::-1]] = np.arange(2 * n)[::-1]  # first row mentioning each account
    bank_of_acc = pc.cast(pc.take(bank_str, pa.array(first)), pa.int64()).to_numpy()
    bank_codes, bank_idx = np.unique(bank_of_acc, return_inverse=True)
    acc_number = pc.take(acct, pa.array(first))
    pcur = dictionary_codes(t.column("payment_currency"), CURRENCIES)
    rcur = dictionary_codes(t.column("receiving_currency"), CURRENCIES)
    acc_cur = np.zeros(n_acc, dtype=np.int64)
    acc_cur[ids[n:]] = rcur
    acc_cur[ids[:n]] = pcur  # payment currency wins where an account pays
    banks, bank_jur = _banks(bank_codes, bank_idx, acc_cur, path)
    accounts = _accounts(acc_number, bank_idx, bank_jur, acc_cur)
    ts = t.column("timestamp").to_numpy().view(np.int64)
    start, days = _period(ts)
    cfg = WorldConfig(
        accounts=max(n_acc, 10),
        days=days,
        start=start,
        banks=max(5, len(bank_codes)),
        name=name or path.name.removesuffix("_Trans.csv").replace(".", "_")[:40] or "World",
    )
    ledger = ledger_table(
        {
            "tx_id": np.arange(n, dtype=np.int64),
            "timestamp": ts,
            "src_account": ids[:n],
            "src_bank": bank_idx[ids[:n]],
            "dst_account": ids[n:],
            "dst_bank": bank_idx[ids[n:]],
            "amount_paid": t.column("amount_paid").to_numpy(),
            "payment_currency": pcur,
            "amount_received": t.column("amount_received").to_numpy(),
            "receiving_currency": rcur,
            "channel": dictionary_codes(t.column("payment_format"), CHANNELS),
            "is_laundering": t.column("is_laundering").to_numpy() == 1,
        }
    )
    return World(cfg, banks, accounts, ledger)


def _read_bank_names(trans: Path) -> dict[int, str]:
    acc = trans.with_name(trans.name.replace("_Trans.csv", "_accounts.csv"))
    if not acc.is_file() or acc == trans:
        return {}
    try:
        t = pcsv.read_csv(
            acc,
            pcsv.ReadOptions(column_names=["bank_name", "bank_id", "a", "b", "c"], skip_rows=1),
            convert_options=pcsv.ConvertOptions(
                column_types={"bank_id": pa.int64()}, include_columns=["bank_name", "bank_id"]
            ),
        )
    except pa.ArrowInvalid as err:
        raise FormatError(f"{acc}: {str(err).splitlines()[0]}") from None
    return dict(zip(t.column("bank_id").to_pylist(), t.column("bank_name").to_pylist(), strict=True))


__all__ = ["read_amlworld"]
