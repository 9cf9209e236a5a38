"""Reading a World directory, whole (`parquet`) or partitioned (`partitioned`), by what it holds."""

from __future__ import annotations

from pathlib import Path

from graph_schema.formats.parquet import read_scenarios, read_table, read_world_config
from graph_schema.formats.partitioned import is_partitioned, open_partitioned
from graph_schema.tables import ACCOUNT_SCHEMA, BANK_SCHEMA, LEDGER_SCHEMA, empty_ledger
from graph_schema.world import World


def read_world(path: str | Path) -> World:
    """Read a World directory written by `write_world`, or a partitioned one (its parts
    merged in memory; see `graph_schema.formats.partitioned`).

    Raises:
        FormatError: a file is missing or malformed (the message names file and field).
    """
    path = Path(path)
    if is_partitioned(path):
        return open_partitioned(path).materialise()
    cfg = read_world_config(path)
    return World(
        cfg,
        read_table(path / "banks.parquet", BANK_SCHEMA),
        read_table(path / "accounts.parquet", ACCOUNT_SCHEMA),
        read_table(path / "ledger.parquet", LEDGER_SCHEMA),
        read_scenarios(path),
    )


def read_world_stub(path: str | Path) -> World:
    """A World directory without its ledger (banks, accounts, config, scenarios): enough to
    compile scenarios, which read only banks and accounts, at a fraction of the memory.

    Raises:
        FormatError: a file is missing or malformed.
    """
    path = Path(path)
    if is_partitioned(path):
        return open_partitioned(path).stub()
    return World(read_world_config(path), read_table(path / "banks.parquet", BANK_SCHEMA),
                 read_table(path / "accounts.parquet", ACCOUNT_SCHEMA), empty_ledger(), read_scenarios(path))


__all__ = ["read_world", "read_world_stub"]
