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

from graph_schema.formats.amlworld import _write_csv, format_amount
from graph_schema.reference import convert
from graph_schema.tables import CURRENCIES, dictionary_codes
from graph_schema.world import World

TX_HEADER = "tran_id,orig_acct,bene_acct,tx_type,base_amt,tran_timestamp,is_sar,alert_id"
ALERT_HEADER = "alert_id,alert_type,is_sar,tran_id,orig_acct,bene_acct,tx_type,base_amt,tran_timestamp"


def _columns(world: World) -> tuple[list[pa.Array], np.ndarray]:
    led = world.ledger
    usd = convert(led.column("amount_paid").to_numpy(),
                  dictionary_codes(led.column("payment_currency"), CURRENCIES),
                  CURRENCIES.index("US Dollar"))
    sids = [s.scenario_id for s in world.scenarios]
    sid = dictionary_codes(led.column("scenario_id"), sids) if sids else np.full(led.num_rows, -1)
    tx_type = pc.utf8_upper(pc.replace_substring(pc.cast(led.column("channel"), pa.string()), " ", "_"))
    cols = [
        led.column("tx_id"),
        led.column("src_account"),
        led.column("dst_account"),
        tx_type,
        format_amount(usd, np.zeros(len(usd), dtype=np.int64)),
        pc.strftime(led.column("timestamp"), format="%Y-%m-%dT%H:%M:%SZ"),
        pc.if_else(led.column("is_laundering"), "True", "False"),
        pa.array(sid.astype(np.int64)),
    ]
    return cols, sid


def write_amlsim(world: World, out: str | Path) -> list[Path]:
    """Write `transactions.csv` and `alert_transactions.csv` into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cols, sid = _columns(world)
    names = ["tran_id", "orig_acct", "bene_acct", "tx_type", "base_amt", "tran_timestamp", "is_sar",
             "alert_id"]
    tx = pa.Table.from_arrays([c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c
                               for c in cols], names=names)
    paths = [out / "transactions.csv", out / "alert_transactions.csv"]
    _write_csv(tx, TX_HEADER, paths[0])
    alerts = tx.filter(pa.array(sid >= 0))
    types = [s.scenario.primary_typology.value for s in world.scenarios]
    alert_type = pa.array([types[i] for i in alerts.column("alert_id").to_pylist()], pa.string())
    _write_csv(pa.Table.from_arrays(
        [alerts.column("alert_id"), alert_type, alerts.column("is_sar"), alerts.column("tran_id"),
         alerts.column("orig_acct"), alerts.column("bene_acct"), alerts.column("tx_type"),
         alerts.column("base_amt"), alerts.column("tran_timestamp")],
        names=ALERT_HEADER.split(",")), ALERT_HEADER, paths[1])
    return paths
