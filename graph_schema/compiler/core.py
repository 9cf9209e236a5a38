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

from graph_schema.compiler.blend import (
    channel_style,
    mimic_parts,
    on_usual_channels,
    opened_profile,
    payer_profile,
    payer_rounding,
    usual_amounts,
)
from graph_schema.compiler.checks import check_structure
from graph_schema.compiler.resolve import new_account_numbers, paid_in, resolve_entities
from graph_schema.compiler.rides import Rides, carried_columns
from graph_schema.compiler.timing import place
from graph_schema.dsl import PARTED, Scenario, Transfer
from graph_schema.enums import Channel, Purpose, Role
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
            money-flow rules were checked on); for a ride row, the operation's money it
            carries, which can be less than the payment.
        ridden: for each row, the position in the World's ledger of the background payment
            it rides (the row is a labelled copy of it, which `inject` puts in its place);
            -1 for a row the operation adds.
    """

    scenario: Scenario
    scenario_id: str
    seed: int
    rows: pa.Table
    new_accounts: pa.Table
    entity_accounts: dict[str, int]
    transfer_index: np.ndarray
    base_amounts: np.ndarray
    ridden: np.ndarray

    @property
    def rides(self) -> bool:
        """Whether any row rides a background payment."""
        return bool((self.ridden >= 0).any())

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
    written, s = s, on_usual_channels(s, world, res, rng)
    first, end = window if window is not None else (world.start_epoch, world.end_epoch)
    if not world.start_epoch <= first < end <= world.end_epoch:
        raise ValueError(f"window {first}-{end} is not inside the World's period "
                         f"{world.start_epoch}-{world.end_epoch}")
    where = "the World's period" if window is None else "the compile window"
    rides = Rides(s, world, res.account, end) if any(t.ride for t in s.transfers) else None
    events = place(s, order, rng, first, end, where, _snapper(s, world), rides)
    ridden, carried = rides.rows(events) if rides else (np.full(len(events), -1, np.int64), None)
    ride_base = rides.base_amounts(events, carried) if rides else {}
    amounts = _run_money(s, events, rng, _mimic(s, world, res), ride_base, payer_rounding(s, world, res))
    if rides:  # a ride that finds nothing to carry is only the payer's own payment
        made = np.array(amounts) > 0
        carried = None if carried is None else carried.filter(pa.array(made[ridden >= 0]))
        events = [e for e, m in zip(events, made, strict=True) if m]
        amounts, ridden = np.array(amounts)[made].tolist(), ridden[made]
    return _rows(s, uid, int(seed), res, events, amounts, ridden, carried, written)


def compile_those_that_fit(scenarios: list, world, seed: int = 0,
                           window: tuple[int, int] | None = None) -> list[CompiledScenario]:
    """`compile_scenario` of each scenario, keeping those that compile (in order): for
    measurements over a set of scenarios, where one that does not fit is left out."""
    out = []
    for s in scenarios:
        try:
            out.append(compile_scenario(s, world, seed, window=window))
        except ScenarioError:
            continue
    return out


def _snapper(s: Scenario, world):
    """``advance(transfer index, epoch seconds, delay seconds)`` on the transfer's channel's
    activity clock (the World's calendar)."""
    cal, origin = world.calendar, world.start_epoch

    def advance(i: int, t: float, d: float) -> float:
        style = channel_style(CHANNELS.index(s.transfers[i].channel.value))
        return origin + cal.advance(t - origin, d, style)
    return advance


def _mimic(s: Scenario, world, res):
    """``parts(transfer index, total)``: the base-currency parts of a mimic amount."""
    base = CURRENCIES.index(s.currency.value)

    def parts(i: int, total: float, rng) -> list[float]:
        t = s.transfers[i]
        acc = res.account[t.src]
        profile = payer_profile(s, world, res, t.src)
        usual = usual_amounts(world, acc, profile, CHANNELS.index(t.channel.value))
        return mimic_parts(t.amount, total, usual, base, rng, in_base=not t.round_like_payer)
    return parts


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


def _run_money(s: Scenario, events, rng, mimic, ride_base: dict, like) -> list[float]:
    """Amount of every event in the base currency, refusing money spent before it arrives; a
    `round_like_payer` one then rounded like its payer's payments (``like``). An
    occurrence of a ride transfer pays what its amount spec says, at most what the payer holds
    of the operation's money and, if the transfer is riding (``ride_base`` has a payment for
    some occurrence of it), what its payment pays; one that finds the payer holding nothing,
    or no payment to carry it, is not made (0). A ride transfer that found no payment is paid
    as an ordinary one."""
    src_funds = [e.id for e in s.entities if e.initial_funds]
    share = s.funds_placed / len(src_funds)
    balance = {e.id: (share if e.initial_funds else 0.0) for e in s.entities}
    received = dict(balance)
    riding = {i for i, _r, _k in ride_base}
    pending: dict[tuple[int, int], list[float]] = {}
    out = []
    for _t, i, r, k in events:
        tr: Transfer = s.transfers[i]
        p = f"transfers[{i}]"
        if tr.amount.kind in PARTED:
            if k == 0:
                total = np.floor(_base_amount(tr.amount.total, received[tr.src], rng) * 100) / 100
                pending[(i, r)] = (_split(total, tr.amount.parts, tr.amount.under, rng, p)
                                   if tr.amount.kind == "split" else mimic(i, total, rng))
            amount = pending[(i, r)][k]
        else:
            amount = _base_amount(tr.amount, received[tr.src], rng)
        if tr.ride:  # at most its amount spec and what the payer holds (and its payment, if it rides)
            rides = i in riding
            if balance[tr.src] <= 0.005 or (rides and (i, r, k) not in ride_base):
                out.append(0.0)  # not made: no money to carry, or no payment to carry it
                continue
            amount = min(amount, balance[tr.src], ride_base[(i, r, k)] if rides else np.inf)
        unit = 1e6 if s.currency.value == "Bitcoin" else 100.0
        amount = np.floor(amount * unit + 1e-6) / unit  # floored: a share never exceeds its whole
        if amount <= 0:
            raise ScenarioError(f"{p}.amount", f"non-positive amount ({amount:g}): '{tr.src}' has "
                                "received nothing to take a fraction of at this point")
        if tr.round_like_payer:
            amount = like(i, amount, rng)  # in the payer's currency, down: still within what it holds
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


def _rows(s: Scenario, uid: str, seed: int, res, events, amounts, ridden: np.ndarray,
          carried: pa.Table | None, written: Scenario) -> CompiledScenario:
    """The compiled scenario: rows of ``s`` (channels drawn), kept as ``written``."""
    n = len(events)
    ti = np.array([e[1] for e in events], dtype=np.int64)
    tr = s.transfers
    src = [tr[i].src for i in ti]
    dst = [tr[i].dst for i in ti]
    channel = np.array([CHANNELS.index(tr[i].channel.value) for i in ti], dtype=np.int8)
    btc = channel == CHANNELS.index(Channel.BITCOIN.value)
    pc = np.array([paid_in(tr[i], res) for i in ti], dtype=np.int64)
    rc = np.where(btc, BITCOIN, np.array([res.currency[b] for b in dst], dtype=np.int64))
    base = np.array(amounts, dtype=np.float64)
    paid = round_money(convert(base, CURRENCIES.index(s.currency.value), pc), pc)
    received = round_money(convert(paid, pc, rc), rc)
    bad = np.flatnonzero((paid <= 0) | (received <= 0))
    if len(bad):
        i = int(ti[bad[0]])
        raise ScenarioError(f"transfers[{i}].amount", "non-positive amount: it rounds to zero in "
                            f"{CURRENCIES[int(pc[bad[0]])]}")
    cols = {"timestamp": np.array([e[0] for e in events], dtype=np.int64),
            "src_bank": np.array([res.bank[a] for a in src], dtype=np.int32),
            "dst_bank": np.array([res.bank[b] for b in dst], dtype=np.int32),
            "amount_paid": paid, "payment_currency": pc, "amount_received": received,
            "receiving_currency": rc, "channel": channel}
    if carried is not None:  # a ride row is its payment, as the World made it
        ride = ridden >= 0
        for name, values in carried_columns(carried).items():
            cols[name] = cols[name].astype(values.dtype, copy=True)
            cols[name][ride] = values
    role_of = {e.id: e.role.value for e in s.entities}
    roles = [Role.CAMOUFLAGE.value if tr[i].purpose is Purpose.CAMOUFLAGE else role_of[a]
             for i, a in zip(ti, src, strict=True)]
    rows = ledger_table(
        {
            "tx_id": np.arange(n, dtype=np.int64),
            "src_account": np.array([res.account[a] for a in src], dtype=np.int64),
            "dst_account": np.array([res.account[b] for b in dst], dtype=np.int64),
            **cols,
            # camouflage is paid from the account's own legitimate money: not laundering (its
            # role stays 'camouflage' and its scenario id stays, as metadata)
            "is_laundering": np.array([tr[i].purpose is not Purpose.CAMOUFLAGE for i in ti], dtype=bool),
            "scenario_id": np.zeros(n, dtype=np.int32),
            "typology": np.zeros(n, dtype=np.int32),
            "role": np.array([ROLES.index(r) for r in roles], dtype=np.int32),
        },
        scenario_values=[uid],
        typology_values=[s.primary_typology.value],
        role_values=ROLES,
    )
    return CompiledScenario(written, uid, seed, rows, _new_accounts(s, uid, seed, res),
                            dict(res.account), ti, base, ridden)


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
            codes_to_dictionary([PROFILES.index(opened_profile(ents[eid]).value) for _, eid, _ in new],
                                PROFILES),
            codes_to_dictionary([KINDS.index(k.value) for k in kinds], KINDS),
            codes_to_dictionary(list(range(len(new))), [ents[eid].jurisdiction for _, eid, _ in new]),
            codes_to_dictionary([res.currency[eid] for _, eid, _ in new], CURRENCIES),
        ],
        schema=ACCOUNT_SCHEMA,
    )


def _entity_hex(uid: str, seed: int, eid: str) -> str:
    return "E" + hashlib.sha256(f"entity/{uid}/{seed}/{eid}".encode()).hexdigest()[:8].upper()
