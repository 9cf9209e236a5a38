"""AMLworld's file triplet (IBM's synthetic AML data), written exactly and read back.

``{name}_Trans.csv``: the 11 columns with the repeated ``Account`` header, rows sorted by
time, ``2022/09/01 00:20`` timestamps, fixed-width bank codes, plain decimal amounts and
``Is Laundering`` exactly 0 or 1. ``{name}_accounts.csv`` and ``{name}_Patterns.txt``
(one ``BEGIN LAUNDERING ATTEMPT`` block per injected scenario) complete it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from graph_schema.enums import Profile
from graph_schema.formats.atomic import atomic_path
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

TRANS_HEADER = ("Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,"
                "Amount Paid,Payment Currency,Payment Format,Is Laundering")
ACCOUNTS_HEADER = "Bank Name,Bank ID,Account Number,Entity ID,Entity Name"
TIME_FORMAT = "%Y/%m/%d %H:%M"
BANK_WIDTH = 3
_COLS = ["timestamp", "from_bank", "from_account", "to_bank", "to_account", "amount_received",
         "receiving_currency", "amount_paid", "payment_currency", "payment_format", "is_laundering"]


def bank_code(ids: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Fixed-width, zero-padded bank codes ('007')."""
    return pc.utf8_lpad(pc.cast(ids, pa.string()), BANK_WIDTH, "0")


def format_times(col: pa.ChunkedArray | pa.Array, fmt: str) -> pa.Array:
    """``strftime`` of a timestamp column, formatting each distinct time once (ledgers
    have minute timestamps, so there are far fewer distinct values than rows)."""
    ts = np.asarray(col.to_numpy()).astype("datetime64[s]")
    uniq, inv = np.unique(ts, return_inverse=True)
    return pc.take(pc.strftime(pa.array(uniq, pa.timestamp("s")), format=fmt), pa.array(inv))


def format_amount(values, currency_codes: np.ndarray) -> pa.Array:
    """Plain decimals: two places, six for Bitcoin; never exponent notation."""
    v = np.asarray(values, dtype=np.float64)
    btc = currency_codes == CURRENCIES.index("Bitcoin")
    scale = np.where(btc, 10**6, 100).astype(np.int64)
    units = np.round(v * scale).astype(np.int64)
    whole = pc.cast(pa.array(units // scale), pa.string())
    frac = pa.array(units % scale)
    frac2 = pc.utf8_lpad(pc.cast(frac, pa.string()), 2, "0")
    frac6 = pc.utf8_lpad(pc.cast(frac, pa.string()), 6, "0")
    frac_s = pc.if_else(pa.array(btc), frac6, frac2)
    return pc.binary_join_element_wise(whole, frac_s, ".")


def trans_lines(numbers: pa.ChunkedArray | pa.Array, rows: pa.Table) -> pa.Table:
    """AMLworld's 11 text columns for ledger ``rows``; ``numbers`` is the account-number column."""
    cur_p = dictionary_codes(rows.column("payment_currency"), CURRENCIES)
    cur_r = dictionary_codes(rows.column("receiving_currency"), CURRENCIES)
    cols = [
        format_times(rows.column("timestamp"), TIME_FORMAT),
        bank_code(rows.column("src_bank")),
        pc.take(numbers, rows.column("src_account")),
        bank_code(rows.column("dst_bank")),
        pc.take(numbers, rows.column("dst_account")),
        format_amount(rows.column("amount_received").to_numpy(), cur_r),
        pc.cast(rows.column("receiving_currency"), pa.string()),
        format_amount(rows.column("amount_paid").to_numpy(), cur_p),
        pc.cast(rows.column("payment_currency"), pa.string()),
        pc.cast(rows.column("channel"), pa.string()),
        pc.cast(pc.cast(rows.column("is_laundering"), pa.int8()), pa.string()),
    ]
    return pa.Table.from_arrays(cols, names=_COLS)


def write_csv(table: pa.Table, header: str, path: Path) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write((header + "\n").encode())
        append_csv(table, fh)


def append_csv(table: pa.Table, fh) -> None:
    """Rows of ``table`` as CSV lines (no header, no quoting) onto an open binary file."""
    pcsv.write_csv(table, fh, pcsv.WriteOptions(include_header=False, quoting_style="none"))


def write_amlworld(world: World, out: str | Path, name: str | None = None) -> list[Path]:
    """Write the AMLworld triplet of ``world`` into ``out``; returns the three paths."""
    paths = amlworld_paths(out, name or world.config.name)
    numbers = world.accounts.column("account_number")
    write_csv(trans_lines(numbers, world.ledger), TRANS_HEADER, paths[0])
    led = world.ledger
    write_accounts_and_patterns(world, led.filter(pc.is_valid(led.column("scenario_id"))), paths)
    return paths


def amlworld_paths(out: str | Path, name: str) -> list[Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return [out / f"{name}_Trans.csv", out / f"{name}_accounts.csv", out / f"{name}_Patterns.txt"]


def write_accounts_and_patterns(world: World, injected: pa.Table, paths: list[Path]) -> None:
    """``*_accounts.csv`` from ``world``'s tables and ``*_Patterns.txt`` from ``injected``,
    the rows of injected scenarios in ledger order (``world.ledger`` is not read)."""
    acc = world.accounts
    bank_names = world.banks.column("bank_name")
    write_csv(pa.Table.from_arrays([
        pc.take(bank_names, acc.column("bank_id")),
        bank_code(acc.column("bank_id")),
        acc.column("account_number"),
        acc.column("entity_id"),
        acc.column("entity_name"),
    ], names=["bank_name", "bank_id", "account_number", "entity_id", "entity_name"]),
        ACCOUNTS_HEADER, paths[1])
    with atomic_path(paths[2]) as tmp:
        tmp.write_text(_patterns(acc.column("account_number"), injected, world.scenarios), encoding="utf-8")


def pattern_type(typology: str) -> str:
    """AMLworld's block type: 'fan_out' -> 'FAN-OUT'."""
    return typology.upper().replace("_", "-")


def _patterns(numbers: pa.ChunkedArray, rows: pa.Table, scenarios: list) -> str:
    if rows.num_rows == 0:
        return ""
    lines = trans_lines(numbers, rows)
    text = pc.binary_join_element_wise(*[lines.column(i) for i in range(lines.num_columns)], ",")
    text = text.to_pylist()
    ids = pc.cast(rows.column("scenario_id"), pa.string()).to_pylist()
    names = {s.scenario_id: s.scenario for s in scenarios}
    blocks: dict[str, list[str]] = {}
    for i, t in zip(ids, text, strict=True):
        blocks.setdefault(i, []).append(t)
    out = []
    for i, block in blocks.items():  # in order of each scenario's first transaction
        s = names.get(i)
        kind = pattern_type(s.primary_typology.value if s else "unknown")
        desc = f"{s.name} [scenario {i}]" if s else f"scenario {i}"
        out.append(f"BEGIN LAUNDERING ATTEMPT - {kind}:  {desc}\n" + "\n".join(block)
                   + f"\nEND LAUNDERING ATTEMPT - {kind}\n\n")
    return "".join(out)


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
        raw = pcsv.read_csv(path, pcsv.ReadOptions(column_names=_COLS, skip_rows=1),
                            convert_options=pcsv.ConvertOptions(
                                column_types=dict.fromkeys(_COLS, pa.string())))
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
    lines = pc.binary_join_element_wise(*[rows.column(c) for c in _COLS], ",").to_pylist()
    names = sorted(set(kinds.values()))
    codes = np.full(world.ledger.num_rows, -1, dtype=np.int32)
    for i, line in zip(lab, lines, strict=True):
        k = kinds.get(line)
        codes[i] = names.index(k) if k else -1
    led = world.ledger.set_column(world.ledger.schema.get_field_index("typology"),
                                  LEDGER_SCHEMA.field("typology"), codes_to_dictionary(codes, names))
    return World(world.config, world.banks, world.accounts, led)


def _to_world(t: pa.Table, path: Path, name: str | None) -> World:
    """A World from the typed, time-sorted transaction table."""
    n = t.num_rows
    bank_str = pc.cast(pc.cast(pa.concat_arrays([t.column("from_bank").combine_chunks(),
                                                 t.column("to_bank").combine_chunks()]),
                               pa.int64()), pa.string())
    acct = pa.concat_arrays([t.column("from_account").combine_chunks(),
                             t.column("to_account").combine_chunks()])
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
    # Bank currency: the currency most of its accounts use; jurisdiction from the currency.
    bank_cur = np.array([np.bincount(acc_cur[bank_idx == b], minlength=len(CURRENCIES)).argmax()
                         for b in range(len(bank_codes))])
    cur_to_jur = {}
    for j in jurisdictions():
        cur_to_jur.setdefault(j.currency, j.code)
    bank_jur = [cur_to_jur.get(CURRENCIES[c], "US") for c in bank_cur]
    names = _read_bank_names(path)
    banks = pa.Table.from_arrays([
        pa.array(np.arange(len(bank_codes), dtype=np.int32)),
        pa.array([names.get(int(c), f"Bank {int(c):0{BANK_WIDTH}d}") for c in bank_codes]),
        pa.array(bank_jur),
        pa.array([CURRENCIES[c] for c in bank_cur]),
    ], schema=BANK_SCHEMA)
    jur_values = sorted(set(bank_jur))
    accounts = pa.Table.from_arrays([
        pa.array(np.arange(n_acc, dtype=np.int64)),
        pa.array(bank_idx.astype(np.int32)),
        acc_number,
        acc_number,
        pc.binary_join_element_wise(pa.array(["Account"] * n_acc), acc_number, " "),
        codes_to_dictionary(np.full(n_acc, PROFILES.index(Profile.UNKNOWN.value)), PROFILES),
        codes_to_dictionary(np.zeros(n_acc, dtype=np.int32), KINDS),
        codes_to_dictionary(np.array([jur_values.index(bank_jur[b]) for b in bank_idx]), jur_values),
        codes_to_dictionary(acc_cur, CURRENCIES),
    ], schema=ACCOUNT_SCHEMA)
    ts = t.column("timestamp").to_numpy().view(np.int64)
    start = dt.datetime.fromtimestamp(int(ts.min()), dt.UTC).date()
    start_epoch = int(dt.datetime(start.year, start.month, start.day, tzinfo=dt.UTC).timestamp())
    days = int((ts.max() - start_epoch) // 86_400) + 1
    cfg = WorldConfig(accounts=max(n_acc, 10), days=days, start=start, banks=max(5, len(bank_codes)),
                      name=name or path.name.removesuffix("_Trans.csv").replace(".", "_")[:40] or "World")
    ledger = ledger_table({
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
    })
    return World(cfg, banks, accounts, ledger)


def _read_bank_names(trans: Path) -> dict[int, str]:
    acc = trans.with_name(trans.name.replace("_Trans.csv", "_accounts.csv"))
    if not acc.is_file() or acc == trans:
        return {}
    try:
        t = pcsv.read_csv(acc, pcsv.ReadOptions(column_names=["bank_name", "bank_id", "a", "b", "c"],
                                                skip_rows=1),
                          convert_options=pcsv.ConvertOptions(column_types={"bank_id": pa.int64()},
                                                              include_columns=["bank_name", "bank_id"]))
    except pa.ArrowInvalid as err:
        raise FormatError(f"{acc}: {str(err).splitlines()[0]}") from None
    return dict(zip(t.column("bank_id").to_pylist(), t.column("bank_name").to_pylist(), strict=True))
