"""AMLSim's `transactions.csv` (and `alert_transactions.csv`, which names each alert's typology).

Columns follow AMLSim's converted output: ``tran_id,orig_acct,bene_acct,tx_type,base_amt,
tran_timestamp,is_sar,alert_id``. ``alert_id`` is -1 for normal transactions and otherwise
the ordinal of the injected scenario; `alert_transactions.csv` maps it to ``alert_type``,
the scenario's typology. AMLSim is single-currency, so ``base_amt`` is in US dollars.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph_schema.formats.amlworld import format_amount, format_times, write_csv
from graph_schema.reference import convert
from graph_schema.tables import CURRENCIES, dictionary_codes
from graph_schema.world import World

TX_HEADER = "tran_id,orig_acct,bene_acct,tx_type,base_amt,tran_timestamp,is_sar,alert_id"
ALERT_HEADER = "alert_id,alert_type,is_sar,tran_id,orig_acct,bene_acct,tx_type,base_amt,tran_timestamp"


NAMES = TX_HEADER.split(",")


def tx_table(rows: pa.Table, tran_id: pa.Array | pa.ChunkedArray, sids: list[str]) -> pa.Table:
    """AMLSim's transaction columns for ledger ``rows`` with these ``tran_id`` values;
    ``sids`` are the World's scenario ids, whose positions are the alert ids."""
    usd = convert(rows.column("amount_paid").to_numpy(),
                  dictionary_codes(rows.column("payment_currency"), CURRENCIES),
                  CURRENCIES.index("US Dollar"))
    sid = dictionary_codes(rows.column("scenario_id"), sids) if sids else np.full(rows.num_rows, -1)
    tx_type = pc.utf8_upper(pc.replace_substring(pc.cast(rows.column("channel"), pa.string()), " ", "_"))
    cols = [
        tran_id,
        rows.column("src_account"),
        rows.column("dst_account"),
        tx_type,
        format_amount(usd, np.zeros(len(usd), dtype=np.int64)),
        format_times(rows.column("timestamp"), "%Y-%m-%dT%H:%M:%SZ"),
        pc.if_else(rows.column("is_laundering"), "True", "False"),
        pa.array(sid.astype(np.int64)),
    ]
    return pa.Table.from_arrays([c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c
                                 for c in cols], names=NAMES)


def alerts_of(tx: pa.Table) -> pa.Table:
    """The rows of an AMLSim transaction table that belong to an alert."""
    return tx.filter(pc.greater_equal(tx.column("alert_id"), 0))


def amlsim_paths(out: str | Path) -> list[Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return [out / "transactions.csv", out / "alert_transactions.csv"]


def write_alerts(alerts: pa.Table, world: World, path: Path) -> None:
    """``alert_transactions.csv``: each alert row with its scenario's typology."""
    types = [s.scenario.primary_typology.value for s in world.scenarios]
    alert_type = pa.array([types[i] for i in alerts.column("alert_id").to_pylist()], pa.string())
    write_csv(pa.Table.from_arrays(
        [alerts.column("alert_id"), alert_type, alerts.column("is_sar"), alerts.column("tran_id"),
         alerts.column("orig_acct"), alerts.column("bene_acct"), alerts.column("tx_type"),
         alerts.column("base_amt"), alerts.column("tran_timestamp")],
        names=ALERT_HEADER.split(",")), ALERT_HEADER, path)


def write_amlsim(world: World, out: str | Path) -> list[Path]:
    """Write `transactions.csv` and `alert_transactions.csv` into ``out``."""
    paths = amlsim_paths(out)
    tx = tx_table(world.ledger, world.ledger.column("tx_id"), [s.scenario_id for s in world.scenarios])
    write_csv(tx, TX_HEADER, paths[0])
    write_alerts(alerts_of(tx), world, paths[1])
    return paths
