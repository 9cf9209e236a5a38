"""`compile(scenario, world, seed)`: a scenario becomes labelled ledger rows.

The compiler places the operation in the World's period, resolves entities to accounts,
lays out every transfer in time (dependencies, delays, repeats, split parts), then runs
the money through in time order, so that it can refuse money forwarded before it arrived.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from pydantic import ValidationError

from graph_schema.compiler.checks import check_structure
from graph_schema.compiler.resolve import new_account_numbers, resolve_entities
from graph_schema.dsl import Delay, Scenario, Transfer
from graph_schema.enums import Channel, DelayDist, EntityKind, Profile, Purpose, Role
from graph_schema.errors import ScenarioError
from graph_schema.reference import BITCOIN, convert, round_money
from graph_schema.tables import (
    ACCOUNT_SCHEMA,
    CHANNELS,
    CURRENCIES,
    KINDS,
    PROFILES,
    codes_to_dictionary,
    ledger_table,
)

ROLES = [r.value for r in Role]
_DEFAULT_GAP = Delay(dist=DelayDist.UNIFORM, low=1.0, high=12.0)
_PROFILE_OF_KIND = {EntityKind.MONEY_SERVICE: Profile.MONEY_SERVICE,
                    EntityKind.CRYPTO_EXCHANGE: Profile.CRYPTO_EXCHANGE}


@dataclass(frozen=True)
class CompiledScenario:
    """Ledger rows of one scenario, ready for `inject`.

    Attributes:
        rows: ledger-schema table sorted by time; ``tx_id`` is local (0..n-1) and accounts
            of newly opened entities have negative ids that index ``new_accounts``.
        new_accounts: account-schema rows of accounts opened for the operation.
        entity_accounts: entity id -> account id (negative for new accounts).
        transfer_index: for each row, the index of the transfer in the scenario it comes from.
        base_amounts: for each row, the amount in the scenario's base currency (what the
            money-flow rules were checked on).
    """

    scenario: Scenario
    scenario_id: str
    seed: int
    rows: pa.Table
    new_accounts: pa.Table
    entity_accounts: dict[str, int]
    transfer_index: np.ndarray
    base_amounts: np.ndarray

    @property
    def laundered_value(self) -> np.ndarray:
        """Per row, the laundered amount in the base currency: camouflage rows (paid from the
        account's own legitimate money) count 0."""
        camo = np.array([self.scenario.transfers[int(i)].purpose is Purpose.CAMOUFLAGE
                         for i in self.transfer_index], dtype=bool)
        return np.where(camo, 0.0, self.base_amounts)


def parse_scenario(doc: Scenario | dict | str | bytes) -> Scenario:
    """Validate a scenario given as a model, a dict or JSON text.

    Raises:
        ScenarioError: the document is not valid JSON or breaks a type rule of the DSL.
    """
    if isinstance(doc, Scenario):
        return doc
    try:
        if isinstance(doc, str | bytes):
            return Scenario.model_validate_json(doc)
        return Scenario.model_validate(doc)
    except ValidationError as err:
        raise ScenarioError.from_validation(err) from None
    except (TypeError, ValueError) as err:  # not a mapping, bad JSON
        raise ScenarioError("$", f"not a scenario document: {err}") from None


def compile_scenario(scenario: Scenario | dict | str, world, seed: int = 0,
                     window: tuple[int, int] | None = None) -> CompiledScenario:
    """Compile a scenario into labelled ledger rows inside ``world``; deterministic per seed.

    ``window`` = (first, end) epoch seconds places the whole operation inside that part of
    the World's period (e.g. a held-out test period); by default it is the whole period.

    Raises:
        ScenarioError: the scenario breaks a rule; the message names the JSON path and the rule.
        ValueError: the window is not inside the World's period.
    """
    s = parse_scenario(scenario)
    order = check_structure(s)
    uid = s.uid
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, int(uid[:8], 16)])
    res = resolve_entities(s, world, rng)
    first, end = window if window is not None else (world.start_epoch, world.end_epoch)
    if not world.start_epoch <= first < end <= world.end_epoch:
        raise ValueError(f"window {first}-{end} is not inside the World's period "
                         f"{world.start_epoch}-{world.end_epoch}")
    span = end - first
    horizon = int(s.horizon_days * 86_400)
    events = _lay_out(s, order, rng)
    for t, i, _, _ in events:
        if t > horizon:
            raise ScenarioError(f"transfers[{i}].timing", f"this transfer happens on day "
                                f"{t / 86_400:.1f} of the operation, outside the horizon of "
                                f"{s.horizon_days:g} days; shorten delays or repeats")
    length = events[-1][0] if events else 0
    if length > span - 60:
        i = events[-1][1]
        where = "the World's period" if window is None else "the compile window"
        raise ScenarioError(f"transfers[{i}].timing", f"the operation lasts {length / 86_400:.1f} "
                            f"days, longer than {where} of {span / 86_400:g} days; "
                            "shorten delays or repeats")
    # Place the operation uniformly in the period, by its actual length (not its horizon),
    # so that laundering is spread over the whole period, as in AMLworld.
    start = first + 60 * int(rng.integers(0, (span - 60 - length) // 60 + 1))
    events = [(t + start, i, r, k) for t, i, r, k in events]
    amounts = _run_money(s, events, rng)
    return _rows(s, uid, int(seed), res, events, amounts)


def _sample_delay(d: Delay, rng: np.random.Generator) -> float:
    """A delay in seconds."""
    if d.dist is DelayDist.FIXED:
        h = d.low
    elif d.dist is DelayDist.UNIFORM:
        h = rng.uniform(d.low, max(d.low, d.high))
    elif d.dist is DelayDist.EXPONENTIAL:
        h = d.low + (rng.exponential(d.high) if d.high > 0 else 0.0)
    else:
        sigma = 0.75
        h = d.low + (rng.lognormal(np.log(d.high) - sigma**2 / 2, sigma) if d.high > 0 else 0.0)
    return h * 3_600.0


def _lay_out(s: Scenario, order: list[int], rng) -> list[tuple[int, int, int, int]]:
    """Every occurrence as (seconds after the operation starts, transfer index, repeat,
    part), sorted by time."""
    last: dict[int, int] = {}
    index = {t.id: i for i, t in enumerate(s.transfers)}
    events = []
    for rank, i in enumerate(order):
        t = s.transfers[i]
        after = [last[index[a]] for a in t.timing.after]
        base = max(after) + 60 if after else 0
        clock = base + _sample_delay(t.timing.delay, rng)
        parts = t.amount.parts if t.amount.kind == "split" else 1
        gap = t.timing.every or _DEFAULT_GAP
        for r in range(t.timing.repeats):
            for k in range(parts):
                if r or k:
                    clock += max(60.0, _sample_delay(gap, rng))
                events.append((int(clock // 60) * 60, i, r, k, rank))
        last[i] = events[-1][0]
    events.sort(key=lambda e: (e[0], e[4], e[2], e[3]))
    return [e[:4] for e in events]


def _base_amount(spec, received: float, rng) -> float:
    if spec.kind == "fixed":
        return spec.value
    if spec.kind == "range":
        return float(np.exp(rng.uniform(np.log(spec.low), np.log(spec.high))))
    return spec.fraction * received


def _split(total: float, parts: int, under: float, rng, path: str) -> list[float]:
    if total / parts >= under:
        raise ScenarioError(f"{path}.amount.parts", f"{parts} parts of {total:,.2f} cannot all stay "
                            f"under {under:,.2f}; use more parts")
    w = 1.0 + 0.25 * rng.uniform(-1, 1, parts)
    out = np.round(total * w / w.sum(), 2)
    if out.max() >= under:
        out = np.full(parts, np.round(total / parts, 2))
    out[-1] = np.round(total - out[:-1].sum(), 2)
    if out[-1] >= under:  # rounding pushed the last part over: spread the excess
        out = np.full(parts, np.floor(total / parts * 100) / 100)
    return out.tolist()


def _run_money(s: Scenario, events, rng) -> list[float]:
    """Amount of every event in the base currency, refusing money spent before it arrives."""
    src_funds = [e.id for e in s.entities if e.initial_funds]
    share = s.funds_placed / len(src_funds)
    balance = {e.id: (share if e.initial_funds else 0.0) for e in s.entities}
    received = dict(balance)
    pending: dict[tuple[int, int], list[float]] = {}
    out = []
    for _t, i, r, k in events:
        tr: Transfer = s.transfers[i]
        p = f"transfers[{i}]"
        if tr.amount.kind == "split":
            if k == 0:
                total = np.floor(_base_amount(tr.amount.total, received[tr.src], rng) * 100) / 100
                pending[(i, r)] = _split(total, tr.amount.parts, tr.amount.under, rng, p)
            amount = pending[(i, r)][k]
        else:
            amount = _base_amount(tr.amount, received[tr.src], rng)
        unit = 1e6 if s.currency.value == "Bitcoin" else 100.0
        amount = np.floor(amount * unit + 1e-6) / unit  # floored: a share never exceeds its whole
        if amount <= 0:
            raise ScenarioError(f"{p}.amount", f"non-positive amount ({amount:g}): '{tr.src}' has "
                                "received nothing to take a fraction of at this point")
        if tr.purpose is not Purpose.CAMOUFLAGE and tr.src != tr.dst:
            if balance[tr.src] + 0.005 < amount:
                what = ("spends more than its share of funds_placed" if tr.src in src_funds else
                        "money forwarded before it arrived")
                raise ScenarioError(p, f"{what}: '{tr.src}' pays {amount:,.2f} {s.currency.value} "
                                    f"but holds only {balance[tr.src]:,.2f} {s.currency.value} of the "
                                    "operation's funds at that time (an amount, not a share)")
            balance[tr.src] -= amount
            balance[tr.dst] += amount
            received[tr.dst] += amount
        out.append(amount)
    return out


def _rows(s: Scenario, uid: str, seed: int, res, events, amounts) -> CompiledScenario:
    n = len(events)
    ti = np.array([e[1] for e in events], dtype=np.int64)
    tr = s.transfers
    src = [tr[i].src for i in ti]
    dst = [tr[i].dst for i in ti]
    channel = np.array([CHANNELS.index(tr[i].channel.value) for i in ti], dtype=np.int8)
    btc = channel == CHANNELS.index(Channel.BITCOIN.value)
    pc = np.array([CURRENCIES.index(tr[i].currency.value) if tr[i].currency else res.currency[a]
                   for i, a in zip(ti, src, strict=True)], dtype=np.int64)
    pc = np.where(btc, BITCOIN, pc)
    rc = np.where(btc, BITCOIN, np.array([res.currency[b] for b in dst], dtype=np.int64))
    base = np.array(amounts, dtype=np.float64)
    paid = round_money(convert(base, CURRENCIES.index(s.currency.value), pc), pc)
    received = round_money(convert(paid, pc, rc), rc)
    bad = np.flatnonzero((paid <= 0) | (received <= 0))
    if len(bad):
        i = int(ti[bad[0]])
        raise ScenarioError(f"transfers[{i}].amount", "non-positive amount: it rounds to zero in "
                            f"{CURRENCIES[int(pc[bad[0]])]}")
    role_of = {e.id: e.role.value for e in s.entities}
    roles = [Role.CAMOUFLAGE.value if tr[i].purpose is Purpose.CAMOUFLAGE else role_of[a]
             for i, a in zip(ti, src, strict=True)]
    rows = ledger_table(
        {
            "tx_id": np.arange(n, dtype=np.int64),
            "timestamp": np.array([e[0] for e in events], dtype=np.int64),
            "src_account": np.array([res.account[a] for a in src], dtype=np.int64),
            "src_bank": np.array([res.bank[a] for a in src], dtype=np.int32),
            "dst_account": np.array([res.account[b] for b in dst], dtype=np.int64),
            "dst_bank": np.array([res.bank[b] for b in dst], dtype=np.int32),
            "amount_paid": paid,
            "payment_currency": pc,
            "amount_received": received,
            "receiving_currency": rc,
            "channel": channel,
            "is_laundering": np.ones(n, dtype=bool),
            "scenario_id": np.zeros(n, dtype=np.int32),
            "typology": np.zeros(n, dtype=np.int32),
            "role": np.array([ROLES.index(r) for r in roles], dtype=np.int32),
        },
        scenario_values=[uid],
        typology_values=[s.primary_typology.value],
        role_values=ROLES,
    )
    return CompiledScenario(s, uid, seed, rows, _new_accounts(s, uid, seed, res),
                            dict(res.account), ti, base)


def _new_accounts(s: Scenario, uid: str, seed: int, res) -> pa.Table:
    ents = {e.id: e for e in s.entities}
    new = res.new
    numbers = new_account_numbers(uid, seed, [eid for _, eid, _ in new])
    kinds = [ents[eid].kind for _, eid, _ in new]
    return pa.Table.from_arrays(
        [
            pa.array([a for a, _, _ in new], type=pa.int64()),
            pa.array([b for _, _, b in new], type=pa.int32()),
            pa.array(numbers, type=pa.string()),
            pa.array([_entity_hex(uid, seed, eid) for _, eid, _ in new], type=pa.string()),
            pa.array([f"{k.value.replace('_', ' ').title()} {uid[:6]}-{eid}"
                      for k, (_, eid, _) in zip(kinds, new, strict=True)], type=pa.string()),
            codes_to_dictionary([PROFILES.index(_PROFILE_OF_KIND.get(k, Profile.UNKNOWN).value)
                                 for k in kinds], PROFILES),
            codes_to_dictionary([KINDS.index(k.value) for k in kinds], KINDS),
            codes_to_dictionary(list(range(len(new))), [ents[eid].jurisdiction for _, eid, _ in new]),
            codes_to_dictionary([res.currency[eid] for _, eid, _ in new], CURRENCIES),
        ],
        schema=ACCOUNT_SCHEMA,
    )


def _entity_hex(uid: str, seed: int, eid: str) -> str:
    return "E" + hashlib.sha256(f"entity/{uid}/{seed}/{eid}".encode()).hexdigest()[:8].upper()
