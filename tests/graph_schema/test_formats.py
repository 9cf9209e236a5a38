"""Formats: Parquet round trip, AMLworld's triplet byte conventions, AMLSim CSV, atomic writes."""

import csv
import datetime as dt
import re

import numpy as np
import pyarrow.compute as pc
import pytest

from graph_schema.formats import (
    FormatError,
    read_amlworld,
    read_world,
    write_amlsim,
    write_amlworld,
    write_world,
)
from graph_schema.formats.amlworld import ACCOUNTS_HEADER, TRANS_HEADER
from graph_schema.tables import CHANNELS


@pytest.fixture(scope="module")
def exported(default_world, tmp_path_factory):
    out = tmp_path_factory.mktemp("world")
    write_world(default_world, out)
    write_amlworld(default_world, out)
    write_amlsim(default_world, out)
    return out


def test_parquet_round_trip_is_exact(default_world, exported):
    back = read_world(exported)
    assert back.ledger.equals(default_world.ledger)
    assert back.accounts.equals(default_world.accounts)
    assert back.config == default_world.config
    assert [s.scenario_id for s in back.scenarios] == [s.scenario_id for s in default_world.scenarios]
    assert back.scenarios[0].scenario == default_world.scenarios[0].scenario


def test_amlworld_trans_csv_conventions(default_world, exported):
    path = exported / "World_Trans.csv"
    with open(path, newline="") as fh:
        header = fh.readline().rstrip("\n")
        rows = list(csv.reader(fh))
    assert header == TRANS_HEADER
    assert header.split(",").count("Account") == 2
    assert len(rows) == default_world.ledger.num_rows
    stamps = [dt.datetime.strptime(r[0], "%Y/%m/%d %H:%M") for r in rows]
    assert stamps == sorted(stamps)
    assert {r[9] for r in rows} <= set(CHANNELS)
    assert {r[10] for r in rows} == {"0", "1"}
    assert {len(r[1]) for r in rows} == {3} and {len(r[3]) for r in rows} == {3}
    assert all(len(r) == 11 and all(r) for r in rows), "no empty fields"
    plain = re.compile(r"^\d+\.\d{2}(\d{4})?$")
    assert all(plain.match(r[5]) and plain.match(r[7]) for r in rows)
    lab = default_world.ledger.column("is_laundering").to_numpy()
    assert sum(r[10] == "1" for r in rows) == lab.sum()


def test_amlworld_accounts_csv(default_world, exported):
    lines = (exported / "World_accounts.csv").read_text().splitlines()
    assert lines[0] == ACCOUNTS_HEADER
    assert len(lines) - 1 == default_world.n_accounts


def test_pattern_blocks_match_the_labels(default_world, exported):
    text = (exported / "World_Patterns.txt").read_text()
    blocks = re.findall(r"BEGIN LAUNDERING ATTEMPT - ([A-Z-]+):  .*?\n(.*?)END LAUNDERING ATTEMPT - \1\n\n",
                        text, re.S)
    assert len(blocks) == len(default_world.scenarios)
    pattern_rows = [line for _, body in blocks for line in body.strip().split("\n")]
    trans = (exported / "World_Trans.csv").read_text().splitlines()[1:]
    laundering = [line for line in trans if line.endswith(",1")]
    assert sorted(pattern_rows) == sorted(laundering)
    kinds = {k for k, _ in blocks}
    assert "FAN-OUT" in kinds or "SCATTER-GATHER" in kinds


def test_amlworld_read_back_gives_the_same_ledger(default_world, exported):
    back = read_amlworld(exported / "World_Trans.csv")
    a, b = default_world.ledger, back.ledger
    assert b.num_rows == a.num_rows
    assert (b.column("timestamp").to_numpy() == a.column("timestamp").to_numpy()).all()
    assert np.allclose(b.column("amount_paid").to_numpy(), a.column("amount_paid").to_numpy())
    assert (b.column("is_laundering").to_numpy() == a.column("is_laundering").to_numpy()).all()
    for col in ("channel", "payment_currency", "receiving_currency"):
        assert pc.cast(b.column(col), "string").equals(pc.cast(a.column(col), "string"))
    nums_a = pc.take(default_world.accounts.column("account_number"), a.column("src_account"))
    nums_b = pc.take(back.accounts.column("account_number"), b.column("src_account"))
    assert nums_a.equals(nums_b)
    # re-exporting the read World reproduces the transactions file byte for byte
    out = exported / "again"
    write_amlworld(back, out, name="World")
    assert (out / "World_Trans.csv").read_bytes() == (exported / "World_Trans.csv").read_bytes()


def test_amlsim_transactions(default_world, exported):
    lines = (exported / "transactions.csv").read_text().splitlines()
    assert lines[0] == "tran_id,orig_acct,bene_acct,tx_type,base_amt,tran_timestamp,is_sar,alert_id"
    rows = [line.split(",") for line in lines[1:]]
    assert len(rows) == default_world.ledger.num_rows
    sar = [r for r in rows if r[6] == "True"]
    assert all(r[7] != "-1" for r in sar) and all(r[7] == "-1" for r in rows if r[6] == "False")
    alerts = (exported / "alert_transactions.csv").read_text().splitlines()
    assert len(alerts) - 1 == len(sar)
    types = {line.split(",")[1] for line in alerts[1:]}
    assert types <= {s.scenario.primary_typology.value for s in default_world.scenarios}


def test_bad_amlworld_file_is_a_one_line_error(tmp_path):
    p = tmp_path / "X_Trans.csv"
    p.write_text("Timestamp,From Bank\n1,2\n")
    with pytest.raises(FormatError, match=r"X_Trans.csv: header: expected AMLworld's header"):
        read_amlworld(p)
    p.write_text(TRANS_HEADER + "\n2022/09/01 00:20,010,8000EBD30,010,8000EBD30,1.00,Gold,1.00,"
                 "US Dollar,ACH,0\n")
    with pytest.raises(FormatError, match="receiving_currency.*'Gold'"):
        read_amlworld(p)


def test_writes_are_atomic(default_world, tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    write_world(default_world, tmp_path)
    before = (tmp_path / "ledger.parquet").read_bytes()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", boom)
    with pytest.raises(OSError):
        write_world(default_world, tmp_path)
    assert (tmp_path / "ledger.parquet").read_bytes() == before
    assert not list(tmp_path.glob(".*tmp*"))


def test_amlworld_read_back_recovers_typologies_from_the_patterns(default_world, exported):
    back = read_amlworld(exported / "World_Trans.csv")
    a = pc.cast(default_world.ledger.column("typology"), "string")
    b = pc.cast(back.ledger.column("typology"), "string")
    assert a.equals(b)
