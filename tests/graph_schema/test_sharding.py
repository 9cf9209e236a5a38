"""Sharded Worlds: one economy across shards, byte-identical per seed and shard count,
exports streamed from the merge equal to the in-memory writers, unsharded unchanged."""

import hashlib
import json

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graph_schema.formats.partitioned as partitioned
import graph_schema.formats.streaming as streaming
from graph_schema.formats import FormatError, read_world, write_amlsim, write_amlworld
from graph_schema.formats.partitioned import Part, PartitionedWorld, open_partitioned
from graph_schema.sharding import build_sharded_world
from graph_schema.tables import CHANNELS, dictionary_codes, empty_ledger, ledger_table
from graph_schema.world import WorldConfig, generate_world
from graph_schema.world.core import population
from graph_schema.world.shards import shard_bounds

CFG = WorldConfig(accounts=3000, days=20, seed=7, laundering_share=0.004)
FILES = ["World_Trans.csv", "World_accounts.csv", "World_Patterns.txt", "transactions.csv",
         "alert_transactions.csv"]


@pytest.fixture(scope="module")
def sharded(tmp_path_factory):
    d = tmp_path_factory.mktemp("sharded")
    streaming.WINDOW_ROWS, old = 9_000, streaming.WINDOW_ROWS  # many windows on a small World
    try:
        build_sharded_world(CFG, d / "a", 3, ("amlworld", "amlsim"))
        build_sharded_world(CFG, d / "b", 3, ("amlworld", "amlsim"))
        build_sharded_world(CFG, d / "c", 4, ("amlworld",))
    finally:
        streaming.WINDOW_ROWS = old
    return d


def _files(d):
    return sorted(p.relative_to(d).as_posix() for p in d.rglob("*") if p.is_file())


def test_same_seed_and_shards_give_identical_bytes(sharded):
    a, b = sharded / "a", sharded / "b"
    assert _files(a) == _files(b)
    assert "ledger/part-00002.parquet" in _files(a) and "ledger/injected.parquet" in _files(a)
    for f in _files(a):
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    other = sharded / "c"
    assert (a / "World_Trans.csv").read_bytes() != (other / "World_Trans.csv").read_bytes()


def test_streamed_exports_equal_the_in_memory_writers_on_the_merged_world(sharded, tmp_path):
    w = read_world(sharded / "a")
    write_amlworld(w, tmp_path)
    write_amlsim(w, tmp_path)
    for f in FILES:
        assert (sharded / "a" / f).read_bytes() == (tmp_path / f).read_bytes(), f
    assert not list((sharded / "a").glob(".*tmp*")), "no temporary file is left"


def test_merged_world_is_time_sorted_labelled_and_loads_as_a_dataset(sharded):
    from detectors import load_dataset

    w = read_world(sharded / "a")
    ts = w.ledger.column("timestamp").to_numpy().view(np.int64)
    assert (np.diff(ts) >= 0).all()
    assert (w.ledger.column("tx_id").to_numpy() == np.arange(w.ledger.num_rows)).all()
    share = w.ledger.column("is_laundering").to_numpy().mean()
    assert 0.003 < share < 0.006
    assert len(w.scenarios) > 5
    data = load_dataset(sharded / "a")
    assert data.n_edges == w.ledger.num_rows and data.y.sum() == int(share * w.ledger.num_rows + 0.5)


def test_shards_are_one_economy_not_islands(sharded):
    """Most flows cross shard boundaries, and volume and channel mix match the unsharded World."""
    w = read_world(sharded / "a")
    bounds = np.array([hi for _, hi in shard_bounds(population(CFG).n, 3)])
    led = w.ledger.filter(pa.array(~w.ledger.column("is_laundering").to_numpy()))
    src = np.searchsorted(bounds, led.column("src_account").to_numpy(), side="right")
    dst = np.searchsorted(bounds, led.column("dst_account").to_numpy(), side="right")
    assert (src != dst).mean() > 0.4
    ref = generate_world(CFG).ledger
    assert abs(led.num_rows / ref.num_rows - 1) < 0.03
    mix = (
        np.bincount(dictionary_codes(led.column("channel"), CHANNELS), minlength=len(CHANNELS)) / led.num_rows
    )
    ref_mix = (
        np.bincount(dictionary_codes(ref.column("channel"), CHANNELS), minlength=len(CHANNELS)) / ref.num_rows
    )
    assert np.abs(mix - ref_mix).max() < 0.02


def test_unsharded_generation_is_unchanged():
    """The digest of a small World, pinned when businesses' sales came to track their
    purchases (`population.purchases`, `invoice_size`), after holidays and month ends in
    its calendar and the legitimate typologies (`world/legit.py`)."""
    w = generate_world(WorldConfig(accounts=1500, days=20, seed=11))
    h = hashlib.sha256()
    for name in ["timestamp", "src_account", "dst_account", "amount_paid", "amount_received"]:
        h.update(np.ascontiguousarray(w.ledger.column(name).to_numpy()).view(np.uint8))
    h.update(dictionary_codes(w.ledger.column("channel"), CHANNELS).astype(np.int8).tobytes())
    assert (w.ledger.num_rows, h.hexdigest()) == (
        31229,
        "ee1ac798994b7d8ff4f4e2992a815a971cde7d77c0b9ad01d06bf705ba216a28",
    )


def _part_table(ts: list[int], tag: int) -> pa.Table:
    n = len(ts)
    return ledger_table(
        {
            "tx_id": np.arange(n),
            "timestamp": np.asarray(ts, dtype=np.int64),
            "src_account": np.full(n, tag),
            "src_bank": np.zeros(n),
            "dst_account": np.arange(n),
            "dst_bank": np.zeros(n),
            "amount_paid": np.ones(n),
            "payment_currency": np.zeros(n),
            "amount_received": np.ones(n),
            "receiving_currency": np.zeros(n),
            "channel": np.zeros(n),
            "is_laundering": np.zeros(n, dtype=bool),
        }
    )


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 2 * 86_400 - 1), max_size=40), min_size=1, max_size=4), st.integers(0, 1)
)
def test_k_way_merge_equals_a_stable_sort_of_the_parts(tmp_path_factory, parts_ts, day_lo):
    """Ties (equal minutes, runs longer than a row group) keep part order, then row order."""
    d = tmp_path_factory.mktemp("merge")
    cfg = WorldConfig(accounts=200, days=2, start="1970-01-01")
    partitioned.ROW_GROUP, old = 3, partitioned.ROW_GROUP
    parts = []
    try:
        for k, ts in enumerate(parts_ts):
            ts = sorted(t - t % 3600 for t in ts)  # hours: many ties
            t = _part_table(ts, k)
            partitioned.write_part(t, d / "ledger" / f"p{k}.parquet")
            parts.append(Part(f"p{k}.parquet", t.num_rows, "background", partitioned.day_offsets(t, cfg)))
    finally:
        partitioned.ROW_GROUP = old
    pw = PartitionedWorld(d, cfg, pa.table({}), pa.table({}), [], parts, len(parts))
    got = [
        (r["src_account"], r["dst_account"])
        for t in pw.merged(day_lo)
        for r in t.select(["src_account", "dst_account"]).to_pylist()
    ]
    rows = sorted(
        (t, k, i)
        for k, ts in enumerate(parts_ts)
        for i, t in enumerate(sorted(x - x % 3600 for x in ts))
        if t >= day_lo * 86_400
    )
    assert got == [(k, i) for _, k, i in rows]


def test_a_broken_manifest_is_one_line_naming_file_and_field(sharded, tmp_path):
    import shutil

    d = tmp_path / "w"
    shutil.copytree(sharded / "a", d)
    doc = json.loads((d / "ledger" / "parts.json").read_text())
    doc["parts"][1]["kind"] = "imported"
    (d / "ledger" / "parts.json").write_text(json.dumps(doc))
    with pytest.raises(FormatError, match=r"parts.json: parts\[1\].kind: 'imported' is not one of"):
        open_partitioned(d)
    doc["parts"][1]["kind"] = "background"
    (d / "ledger" / "parts.json").write_text(json.dumps(doc))
    (d / "ledger" / "part-00001.parquet").unlink()
    with pytest.raises(FormatError, match=r"part-00001.parquet: part listed in ledger/parts.json is missing"):
        read_world(d)


def test_the_stub_world_compiles_scenarios_without_a_ledger(sharded):
    from graph_schema import compile
    from graph_schema.typologies import library

    pw = open_partitioned(sharded / "a")
    stub = pw.stub()
    assert stub.ledger.num_rows == 0 and stub.ledger.schema == empty_ledger().schema
    c = compile(library()["fan_out"].sample(np.random.default_rng(1)), stub, seed=1)
    assert c.rows.num_rows > 0


def test_packed_injection_equals_injection_scenario_by_scenario():
    """The sharded path's vectorised injection of packed blocks renumbers new accounts and
    builds the account table exactly as `injection` does one scenario at a time."""
    from graph_schema.baseline import sample_baseline
    from graph_schema.tables import ACCOUNT_SCHEMA, LEDGER_SCHEMA, concat_take
    from graph_schema.world.inject import inject_packed, injection, pack

    w = generate_world(WorldConfig(accounts=2000, days=20, seed=3))
    a = sample_baseline(w, 150, 3, block=0)
    b = sample_baseline(w, 150, 3, block=1)
    rows, acc, records = injection(w, a + b)
    prow, pacc, precords = inject_packed(w, [pack(a), pack(b)])
    assert pacc.equals(acc) and precords == records
    assert prow.equals(concat_take(rows, LEDGER_SCHEMA, None))
    assert acc.num_rows > w.n_accounts, "the templates created new accounts"
    assert acc.schema == ACCOUNT_SCHEMA
    with pytest.raises(ValueError, match="already in this World"):
        inject_packed(w, [pack(a), pack(a)])
