"""AMLworld's file triplet (IBM's synthetic AML data), written exactly and read back.

``{name}_Trans.csv``: the 11 columns with the repeated ``Account`` header, rows sorted by
time, ``2022/09/01 00:20`` timestamps, fixed-width bank codes, plain decimal amounts and
``Is Laundering`` exactly 0 or 1. ``{name}_accounts.csv`` and ``{name}_Patterns.txt``
(one ``BEGIN LAUNDERING ATTEMPT`` block per injected scenario) complete it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from graph_schema.formats.atomic import atomic_path
from graph_schema.tables import (
    CURRENCIES,
    dictionary_codes,
)
from graph_schema.world import World

TRANS_HEADER = ("Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,"
                "Amount Paid,Payment Currency,Payment Format,Is Laundering")
ACCOUNTS_HEADER = "Bank Name,Bank ID,Account Number,Entity ID,Entity Name"
TIME_FORMAT = "%Y/%m/%d %H:%M"
BANK_WIDTH = 3
TRANS_COLUMNS = ["timestamp", "from_bank", "from_account", "to_bank", "to_account", "amount_received",
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
    return pa.Table.from_arrays(cols, names=TRANS_COLUMNS)


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
    write_accounts_and_patterns(world, laundering_rows(led), paths)
    return paths


def laundering_rows(rows: pa.Table) -> pa.Table:
    """The rows a Patterns block lists: an injected scenario's laundering rows (its camouflage,
    the accounts' own legitimate money, is labelled 0 and left out, as in AMLworld)."""
    return rows.filter(pc.and_(pc.is_valid(rows.column("scenario_id")), rows.column("is_laundering")))


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


