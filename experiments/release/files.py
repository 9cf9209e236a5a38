"""The data files of a release: one Parquet file per period, the accounts, the AMLworld
triplet of the whole World, and ``scenarios.jsonl``.

``tx_id`` is the row number of the transaction in the time-ordered ledger, which is also its
0-based row in ``amlworld/*_Trans.csv``: a predictions file for `redledger evaluate` keys its
scores by it, whichever of the two files the detector read.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from experiments.release.build import Built
from experiments.release.config import SPLITS, ReleaseConfig
from graph_schema.families import family_of
from graph_schema.formats import write_amlworld
from graph_schema.formats.atomic import atomic_path, write_text_atomic
from graph_schema.reference import in_usd

SUBSETS = ("baseline", "drafts", "elites", "novel")
TEST_SUBSETS = ("baseline", "drafts", "novel")
COLUMNS = {  # column -> description (the card, the datasheet and croissant.json read this)
    "tx_id": "Transaction id: row number in the time-ordered ledger (and in amlworld/*_Trans.csv).",
    "timestamp": "Time of the transaction (UTC, minute resolution).",
    "src_account": "Paying account (row of accounts.parquet).",
    "src_bank": "Bank of the paying account.",
    "dst_account": "Receiving account.",
    "dst_bank": "Bank of the receiving account.",
    "amount_paid": "Amount debited, in payment_currency.",
    "payment_currency": "Currency of the payment (AMLworld's names).",
    "amount_received": "Amount credited, in receiving_currency.",
    "receiving_currency": "Currency credited.",
    "channel": "Payment format (ACH, Wire, Cheque, Credit Card, Cash, Bitcoin, Reinvestment).",
    "is_laundering": "Label: the transaction moves laundered funds (camouflage paid from an account's own "
                     "legitimate money is 0).",
    "scenario_id": "Placement id of the laundering scenario the row belongs to (null: background).",
    "typology": "Primary typology of that scenario.",
    "role": "Role of the row in its scenario (placement, layering, integration, camouflage ...).",
    "subset": "Where the scenario comes from: baseline (library templates), drafts (planner drafts), "
              "elites (evolved, training seeds), novel (evolved, test seeds only); null: background.",
}


def _plain(table: pa.Table) -> pa.Table:
    """Dictionary columns as plain strings (every Parquet reader, Hugging Face included)."""
    cols = [pc.cast(c, pa.string()) if pa.types.is_dictionary(c.type) else c for c in table.columns]
    return pa.Table.from_arrays(cols, names=table.column_names)


def split_tables(built: Built) -> dict[str, pa.Table]:
    """Each period's rows, with the ``subset`` column."""
    led = _plain(built.world.ledger)
    subset_of = {p.placement_id: p.subset for p in built.placements}
    sid = led.column("scenario_id").to_pylist()
    led = led.append_column("subset", pa.array([subset_of.get(s) if s else None for s in sid], pa.string()))
    t = pc.cast(led.column("timestamp"), pa.int64()).to_numpy()
    out = {}
    for i, split in enumerate(SPLITS):
        lo, hi = np.searchsorted(t, [built.cuts[i], built.cuts[i + 1]])
        out[split] = led.slice(int(lo), int(hi - lo))
    return out


def write_parquet(table: pa.Table, path: Path) -> None:
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd", row_group_size=1 << 20)


def scenario_rows(built: Built) -> list[dict]:
    """One record per placement: ids, subset, period, funds, rows and the scenario's DSL."""
    by_id = {s.scenario_id: s for s in built.world.scenarios}
    led = built.world.ledger
    sid = pc.fill_null(pc.cast(led.column("scenario_id"), pa.string()), "")
    sid = np.asarray(sid.to_numpy(zero_copy_only=False))
    lab = led.column("is_laundering").to_numpy(zero_copy_only=False)
    order = np.argsort(sid, kind="stable")
    keys, starts = np.unique(sid[order], return_index=True)
    ends = np.append(starts[1:], len(order))
    where = {k: order[a:b] for k, a, b in zip(keys, starts, ends, strict=True) if k}
    rows = []
    for p in built.placements:
        s = by_id[p.placement_id].scenario
        idx = where.get(p.placement_id, np.array([], dtype=np.int64))
        rows.append({
            "placement_id": p.placement_id, "source_id": p.source_id, "subset": p.subset, "split": p.split,
            "evolution_seed": p.evolution_seed, "compile_seed": p.compile_seed,
            "typology": s.primary_typology.value, "typologies": [t.value for t in s.typology],
            "family": family_of(s.primary_typology), "funds_placed": s.funds_placed,
            "currency": s.currency.value, "funds_usd": round(in_usd(s.funds_placed, s.currency.value), 2),
            "n_rows": int(len(idx)), "n_laundering_rows": int(lab[idx].sum()) if len(idx) else 0,
            "tx_ids": [int(i) for i in np.sort(idx)], "lineage": s.lineage.model_dump(mode="json"),
            "meta": p.meta, "scenario": s.model_dump(mode="json", exclude={"lineage"}),
        })
    return rows


def write_data(cfg: ReleaseConfig, built: Built, out: Path) -> dict:
    """Write the data files under ``out``; returns the counts the documents report."""
    tables = split_tables(built)
    counts: dict = {"splits": {}}
    (out / "data").mkdir(parents=True, exist_ok=True)
    for split, table in tables.items():
        write_parquet(table, out / "data" / f"{split}.parquet")
        sub = np.asarray(table.column("subset").to_pylist(), dtype=object)
        lab = table.column("is_laundering").to_numpy(zero_copy_only=False).astype(bool)
        counts["splits"][split] = {
            "rows": table.num_rows, "laundering_rows": int(lab.sum()),
            "laundering_rows_by_subset": {s: int(((sub == s) & lab).sum()) for s in SUBSETS},
            "scenarios_by_subset": {s: sum(1 for p in built.placements if p.split == split and p.subset == s)
                                    for s in SUBSETS},
        }
    write_parquet(_plain(built.world.accounts), out / "accounts.parquet")
    write_amlworld(built.world, out / "amlworld", cfg.world.name)
    recs = scenario_rows(built)
    write_text_atomic(out / "scenarios.jsonl", "".join(json.dumps(r, sort_keys=True) + "\n" for r in recs))
    counts["transactions"] = built.world.ledger.num_rows
    counts["accounts"] = built.world.n_accounts
    counts["laundering_rows"] = sum(c["laundering_rows"] for c in counts["splits"].values())
    counts["dropped"] = built.dropped
    return counts


__all__ = ["COLUMNS", "SUBSETS", "TEST_SUBSETS", "scenario_rows", "split_tables", "write_data"]
