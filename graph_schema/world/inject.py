"""`inject(world, compiled)`: one labelled ledger from the background and compiled scenarios."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph_schema.dsl import Scenario
from graph_schema.tables import ACCOUNT_SCHEMA, LEDGER_SCHEMA, concat_take, time_sorted
from graph_schema.world.core import World


@dataclass(frozen=True)
class InjectedScenario:
    """What the World remembers of an injected scenario."""

    scenario_id: str
    seed: int
    scenario: Scenario
    n_rows: int


def inject(world: World, compiled: list) -> World:
    """Return a new World whose ledger holds the background plus every compiled scenario.

    New accounts of each scenario get the next free account ids; rows are merged in time
    order (background first on ties) and ``tx_id`` is renumbered to the row index. A ride row
    takes the place of the background payment it rides (the same payment, labelled); if an
    earlier scenario of ``compiled`` already took that payment, the row is added beside it.

    Raises:
        ValueError: a scenario id is injected twice, or two new accounts share a number.
    """
    for c in compiled:
        _check_rides(world, c)
    rows, acc, records = injection(world, compiled)
    ridden = np.unique(np.concatenate([c.ridden[c.ridden >= 0] for c in compiled] or
                                      [np.zeros(0, np.int64)]))
    background = world.ledger
    if len(ridden):
        keep = np.ones(background.num_rows, dtype=bool)
        keep[ridden] = False
        background = background.filter(pa.array(keep))
    ledger = time_sorted([background, *rows])
    return World(world.config, world.banks, acc, ledger, world.scenarios + records)


def injection(world: World, compiled: list) -> tuple[list[pa.Table], pa.Table, list[InjectedScenario]]:
    """What injecting ``compiled`` adds to ``world``, without touching its ledger.

    Returns each scenario's rows with new accounts renumbered to the next free ids, the
    whole account table (background plus new accounts) and the scenario records. Only the
    account table and the scenarios already injected are read, so this works on a World
    whose ledger stays on disk.

    Raises:
        ValueError: a scenario id is injected twice, or two new accounts share a number.
    """
    seen = {s.scenario_id for s in world.scenarios}
    next_id = world.n_accounts
    rows, accounts, records = [], [world.accounts], []
    for c in compiled:
        if c.scenario_id in seen:
            raise ValueError(f"scenario {c.scenario_id} is already in this World")
        seen.add(c.scenario_id)
        k = c.new_accounts.num_rows
        new_ids = np.arange(next_id, next_id + k, dtype=np.int64)
        next_id += k
        r = c.rows
        for col in ("src_account", "dst_account"):
            ids = r.column(col).to_numpy().copy()
            neg = ids < 0
            ids[neg] = new_ids[-ids[neg] - 1]
            r = r.set_column(r.schema.get_field_index(col), LEDGER_SCHEMA.field(col), pa.array(ids))
        rows.append(r)
        accounts.append(c.new_accounts.set_column(0, ACCOUNT_SCHEMA.field(0), pa.array(new_ids)))
        records.append(InjectedScenario(c.scenario_id, c.seed, c.scenario, r.num_rows))
    acc = concat_take(accounts, ACCOUNT_SCHEMA, None)
    _check_numbers(acc, world.n_accounts)
    return rows, acc, records


@dataclass
class Packed:
    """Compiled scenarios packed into two tables (cheap to pass between processes):
    their rows, new accounts still numbered -1, -2, ... per scenario, and their new
    accounts, in scenario order."""

    rows: pa.Table
    new_accounts: pa.Table
    records: list[InjectedScenario]
    n_new: np.ndarray  # new accounts per scenario


def pack(compiled: list) -> Packed:
    """Raises:
        ValueError: a scenario rides background payments (only `inject` can put those rows
            in their payments' places)."""
    riding = next((c.scenario_id for c in compiled if c.rides), None)
    if riding is not None:
        raise ValueError(f"scenario {riding} rides background payments; inject it with inject(), "
                         "which replaces those payments, not in packed form")
    return Packed(concat_take([c.rows for c in compiled], LEDGER_SCHEMA, None),
                  concat_take([c.new_accounts for c in compiled], ACCOUNT_SCHEMA, None),
                  [InjectedScenario(c.scenario_id, c.seed, c.scenario, c.rows.num_rows) for c in compiled],
                  np.array([c.new_accounts.num_rows for c in compiled], dtype=np.int64))


def inject_packed(world: World, packs: list[Packed]) -> tuple[pa.Table, pa.Table, list[InjectedScenario]]:
    """What `injection` returns for the packed scenarios, in order, as one rows table (rows
    in scenario order), the whole account table and the records; vectorised.

    Raises:
        ValueError: a scenario id is injected twice, or two new accounts share a number.
    """
    records = [r for p in packs for r in p.records]
    seen = {s.scenario_id for s in world.scenarios}
    for r in records:
        if r.scenario_id in seen:
            raise ValueError(f"scenario {r.scenario_id} is already in this World")
        seen.add(r.scenario_id)
    rows = concat_take([p.rows for p in packs], LEDGER_SCHEMA, None)
    n_new = np.concatenate([p.n_new for p in packs]) if packs else np.zeros(0, np.int64)
    first_new = world.n_accounts + np.concatenate([[0], np.cumsum(n_new)])[:len(n_new)].astype(np.int64)
    base = np.repeat(first_new, [r.n_rows for r in records])
    for col in ("src_account", "dst_account"):
        ids = rows.column(col).to_numpy()
        rows = rows.set_column(rows.schema.get_field_index(col), LEDGER_SCHEMA.field(col),
                               pa.array(np.where(ids < 0, base - ids - 1, ids)))
    new = concat_take([p.new_accounts for p in packs], ACCOUNT_SCHEMA, None)
    new = new.set_column(0, ACCOUNT_SCHEMA.field(0), pa.array(
        np.arange(world.n_accounts, world.n_accounts + new.num_rows, dtype=np.int64)))
    acc = concat_take([world.accounts, new], ACCOUNT_SCHEMA, None)
    _check_numbers(acc, world.n_accounts)
    return rows, acc, records


def _check_rides(world: World, c) -> None:
    """A ride row must be the payment of this World's ledger it names (same payer, payee, time)."""
    ride = c.ridden >= 0
    if not ride.any():
        return
    pos = c.ridden[ride]
    ok = pos.max() < world.ledger.num_rows
    if ok:
        theirs, mine = world.ledger.take(pos), c.rows.filter(pa.array(ride))
        ok = all(theirs.column(k).equals(mine.column(k)) for k in ("src_account", "dst_account", "timestamp"))
    if not ok:
        raise ValueError(f"scenario {c.scenario_id} rides payments of another World's ledger; "
                         "compile it in the World it is injected into")


def _check_numbers(acc: pa.Table, n_background: int) -> None:
    """New account numbers must not clash with each other (background ones start with '8')."""
    nums = acc.column("account_number").slice(n_background)
    if nums.length() == 0:
        return
    key = pc.binary_join_element_wise(
        pc.cast(acc.column("bank_id").slice(n_background), pa.string()), nums, "/")
    if pc.count_distinct(key).as_py() != nums.length():
        raise ValueError("two injected accounts share a bank and account number")
