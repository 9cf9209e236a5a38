"""Legitimate typologies: flows of the background economy that look like laundering.

A detector that separates laundering by structure alone (a fan, a cycle, a chain through
intermediaries, cash just under a threshold, a fresh account) is wrong on these, as it
would be in a real bank. Each is one plain function, registered by name in `LEGIT`, with
its rate in `WorldConfig.legit` (`LegitMix`); every one is labelled `is_laundering = 0`.

- ``payroll_fan_out``: a business pays 5-40 contractors similar amounts on one day (ACH).
- ``supplier_fan_in``: 5-30 small businesses pay one large business's invoices within days.
- ``group_sweep``: at a month end, subsidiaries wire their balance to the group's parent.
- ``group_cycle``: an intra-group loan goes parent -> subsidiary -> subsidiary -> parent.
- ``property``: a buyer pays an escrow agent, which pays the seller days later.
- ``trade``: a business pays a foreign supplier large round amounts, in instalments.
- ``remittance_chain``: a person -> a money service -> a foreign money service -> a person.
- ``cash_business``: a cash-intensive business deposits cash nearly every business day.

Account openings during the period (`openings`, a share of the accounts) are not a flow:
`opened_after` gives each account its opening day, before which `simulate` drops its flows.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from graph_schema.enums import Channel, Profile
from graph_schema.world.behaviours import CH, Ctx, Flows, concat, empty_flows, make, roundify
from graph_schema.world.population import PERSON_PROFILES, P, pick_targets

MONTH = 30.0  # days in the rates' month


def _events(ctx: Ctx, drivers: np.ndarray, per_month: float) -> np.ndarray:
    """Each owned driver repeated once per event of a Poisson process of ``per_month``."""
    drivers = drivers[ctx.own(drivers)]
    return np.repeat(drivers, ctx.rng.poisson(per_month * ctx.cal.days / MONTH, len(drivers)))


def _later(ctx: Ctx, t: np.ndarray, low_days: float, high_days: float) -> np.ndarray:
    """Business-hours times ``low``-``high`` days after ``t`` (clipped to the period)."""
    gap = ctx.rng.integers(int(low_days), int(high_days) + 1, len(t))
    day = np.minimum(t // 86_400 + gap, ctx.cal.days - 1)
    at = np.maximum(ctx.cal.at_day(ctx.rng, day, "business"), t + 3_600)
    return np.minimum(at, ctx.cal.days * 86_400 - 60)


def _hashed(ids: np.ndarray, salt: int) -> np.ndarray:
    """A uniform [0, 1) number per account id, the same in every shard."""
    x = (ids.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(salt)) & np.uint64(0xFFFFFFFFFFFF)
    return (x % np.uint64(1_000_003)).astype(np.float64) / 1_000_003.0


def groups(ctx: Ctx) -> tuple[np.ndarray, np.ndarray]:
    """(subsidiaries, their parent): a sixth of small businesses, each in the group of a
    large business of its jurisdiction's choice by hash."""
    parents = ctx.pop.of(Profile.LARGE_BUSINESS)
    smalls = ctx.pop.of(Profile.SMALL_BUSINESS)
    if not len(parents) or not len(smalls):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    subs = smalls[_hashed(smalls, 11) < 1 / 6]
    return subs, parents[(_hashed(subs, 12) * len(parents)).astype(np.int64)]


def payroll_fan_out(ctx: Ctx) -> Flows:
    firms = ctx.pop.of(Profile.SMALL_BUSINESS, Profile.LARGE_BUSINESS)
    bosses = _events(ctx, firms, ctx.legit.payroll_fan_out)
    big = ctx.pop.profile[bosses] == P[Profile.LARGE_BUSINESS]
    size = np.where(big, ctx.rng.integers(10, 41, len(bosses)), ctx.rng.integers(5, 16, len(bosses)))
    payer = np.repeat(bosses, size)
    persons = ctx.pop.of(*PERSON_PROFILES)
    payee = pick_targets(ctx.rng, ctx.pop, payer, persons, np.ones(len(persons)), 0.02)
    day = np.repeat(ctx.rng.choice(ctx.cal.days, len(bosses), p=ctx.cal.day_weights("batch")), size)
    base = np.repeat(ctx.rng.lognormal(np.log(1_800), 0.4, len(bosses)), size)
    usd = base * ctx.rng.lognormal(0.0, 0.2, len(payer))
    return make(ctx, payer, payee, ctx.cal.at_day(ctx.rng, day, "batch"), usd, CH[Channel.ACH], 0.2)


def supplier_fan_in(ctx: Ctx) -> Flows:
    buyers_of = _events(ctx, ctx.pop.of(Profile.LARGE_BUSINESS), ctx.legit.supplier_fan_in)
    size = ctx.rng.integers(5, 31, len(buyers_of))
    dst = np.repeat(buyers_of, size)
    smalls = ctx.pop.of(Profile.SMALL_BUSINESS)
    if not len(smalls):
        return empty_flows()
    src = pick_targets(ctx.rng, ctx.pop, dst, smalls, np.ones(len(smalls)), 0.1)
    start = np.repeat(ctx.cal.sample(ctx.rng, len(buyers_of), "business"), size)
    t = _later(ctx, start, 0, 3)
    usd = ctx.rng.lognormal(np.log(12_000), 0.8, len(src))
    ch = np.where(ctx.rng.random(len(src)) < 0.5, CH[Channel.WIRE], CH[Channel.ACH])
    return make(ctx, src, dst, t, usd, ch, 0.3)


def group_sweep(ctx: Ctx) -> Flows:
    subs, parent = groups(ctx)
    mine = ctx.own(parent)
    subs, parent = subs[mine], parent[mine]
    ends = np.flatnonzero(ctx.cal.month_end)
    ends = ends[np.r_[True, np.diff(ends) > 1]] if len(ends) else ends  # the first of each month end
    src, dst, day = [], [], []
    for d in ends:
        go = ctx.rng.random(len(subs)) < ctx.legit.group_sweep
        src.append(subs[go]), dst.append(parent[go]), day.append(np.full(int(go.sum()), d))
    if not src:
        return empty_flows()
    src, dst, day = np.concatenate(src), np.concatenate(dst), np.concatenate(day)
    usd = ctx.rng.lognormal(np.log(40_000), 1.0, len(src)) * ctx.pop.level[src] ** 0.5
    return make(ctx, src, dst, ctx.cal.at_day(ctx.rng, day, "batch"), usd, CH[Channel.WIRE], 0.4)


def group_cycle(ctx: Ctx) -> Flows:
    subs, parent = groups(ctx)
    if len(subs) < 2:
        return empty_flows()
    owners = np.unique(parent)
    loops = _events(ctx, owners, ctx.legit.group_cycle)
    pick = {p: subs[parent == p] for p in np.unique(loops)}
    a = np.array([pick[p][ctx.rng.integers(len(pick[p]))] for p in loops], dtype=np.int64)
    b = np.array([pick[p][ctx.rng.integers(len(pick[p]))] if len(pick[p]) > 1 else p for p in loops],
                 dtype=np.int64)
    t1 = ctx.cal.sample(ctx.rng, len(loops), "business")
    t2 = _later(ctx, t1, 1, 5)
    t3 = _later(ctx, t2, 1, 5)
    usd = ctx.rng.lognormal(np.log(150_000), 0.8, len(loops))
    keep2, keep3 = ctx.rng.uniform(0.97, 1.0, len(loops)), ctx.rng.uniform(0.95, 1.0, len(loops))
    return concat([make(ctx, loops, a, t1, usd, CH[Channel.WIRE], 0.5),
                   make(ctx, a, b, t2, usd * keep2, CH[Channel.WIRE]),
                   make(ctx, b, loops, t3, usd * keep2 * keep3, CH[Channel.WIRE])])


def property_purchase(ctx: Ctx) -> Flows:
    buyers = _events(ctx, ctx.pop.of(Profile.SALARIED, Profile.SELF_EMPLOYED, Profile.RETIREE),
                     ctx.legit.property)
    smalls = ctx.pop.of(Profile.SMALL_BUSINESS)
    escrows = smalls[_hashed(smalls, 21) < 0.02]
    if not len(escrows) or not len(buyers):
        return empty_flows()
    agent = pick_targets(ctx.rng, ctx.pop, buyers, escrows, np.ones(len(escrows)), 0.0)
    persons = ctx.pop.of(*PERSON_PROFILES)
    seller = pick_targets(ctx.rng, ctx.pop, buyers, persons, np.ones(len(persons)), 0.05)
    t1 = ctx.cal.sample(ctx.rng, len(buyers), "business")
    usd = ctx.rng.lognormal(np.log(250_000), 0.7, len(buyers)) * ctx.pop.level[buyers] ** 0.5
    return concat([make(ctx, buyers, agent, t1, usd, CH[Channel.WIRE], 0.6),
                   make(ctx, agent, seller, _later(ctx, t1, 1, 5),
                        usd * ctx.rng.uniform(0.97, 0.995, len(buyers)),
                        CH[Channel.WIRE])])


def trade(ctx: Ctx) -> Flows:
    importers = _events(ctx, ctx.pop.of(Profile.SMALL_BUSINESS, Profile.LARGE_BUSINESS), ctx.legit.trade)
    biz = ctx.pop.of(Profile.SMALL_BUSINESS, Profile.LARGE_BUSINESS)
    supplier = pick_targets(ctx.rng, ctx.pop, importers, biz, np.ones(len(biz)), 1.0)
    k = ctx.rng.integers(1, 4, len(importers))
    src, dst = np.repeat(importers, k), np.repeat(supplier, k)
    total = ctx.rng.lognormal(np.log(60_000), 1.0, len(importers))
    usd = np.repeat(total / k, k)
    first = np.repeat(ctx.cal.sample(ctx.rng, len(importers), "business"), k)
    step = np.concatenate([np.arange(n) for n in k]) if len(k) else np.zeros(0, np.int64)
    t = np.where(step == 0, first, _later(ctx, first, 7, 7) + (step - 1) * 7 * 86_400)
    inside = t < ctx.cal.days * 86_400 - 60  # instalments after the period are not in it
    usd = roundify(ctx.rng, usd, 0.7)
    return make(ctx, src[inside], dst[inside], t[inside], usd[inside], CH[Channel.WIRE])


def remittance_chain(ctx: Ctx) -> Flows:
    msb = ctx.pop.of(Profile.MONEY_SERVICE)
    if len(msb) < 2:
        return empty_flows()
    senders = _events(ctx, ctx.pop.rel["remitters"], ctx.legit.remittance_chain)
    local = pick_targets(ctx.rng, ctx.pop, senders, msb, ctx.pop.activity[msb], 0.0)
    abroad = pick_targets(ctx.rng, ctx.pop, local, msb, ctx.pop.activity[msb], 1.0)
    persons = ctx.pop.of(*PERSON_PROFILES)
    payee = pick_targets(ctx.rng, ctx.pop, abroad, persons, np.ones(len(persons)), 0.0)
    usd = ctx.rng.lognormal(np.log(400), 0.7, len(senders))
    t1 = ctx.cal.sample(ctx.rng, len(senders), "branch")
    t2 = _later(ctx, t1, 0, 1)
    t3 = _later(ctx, t2, 0, 2)
    ch = np.where(ctx.rng.random(len(senders)) < 0.6, CH[Channel.CASH], CH[Channel.ACH])
    return concat([make(ctx, senders, local, t1, usd, ch, 0.5),
                   make(ctx, local, abroad, t2, usd * 0.985, CH[Channel.WIRE]),
                   make(ctx, abroad, payee, t3, usd * 0.97, CH[Channel.WIRE])])


def cash_business(ctx: Ctx) -> Flows:
    shops = ctx.pop.of(Profile.MERCHANT, Profile.SMALL_BUSINESS)
    shops = shops[(_hashed(shops, 31) < ctx.legit.cash_business) & ctx.own(shops)]
    open_days = np.flatnonzero((ctx.cal.weekday < 5) & ~ctx.cal.holiday)
    if not len(shops) or not len(open_days):
        return empty_flows()
    go = ctx.rng.random((len(shops), len(open_days))) < 0.85
    who, when = np.nonzero(go)
    dst, day = shops[who], open_days[when]
    usd = ctx.rng.lognormal(np.log(3_000), 0.6, len(dst)) * ctx.pop.level[dst] ** 0.5
    # banked before the 10,000 USD threshold; takings are not round numbers
    usd = np.where(usd >= 9_500, ctx.rng.uniform(8_500, 9_499, len(usd)), usd)
    desk = ctx.pop.cash_desk[ctx.pop.bank[dst]]
    return make(ctx, desk, dst, ctx.cal.at_day(ctx.rng, day, "branch"), usd, CH[Channel.CASH])


def opened_after(ctx: Ctx, seed: int) -> np.ndarray:
    """Each account's opening day (0: open from the start): a share ``legit.openings`` of the
    customer accounts opens on a uniform day of the period, the same in every shard."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(97,)))
    n = ctx.pop.n
    u, day = rng.random(n), rng.integers(1, max(ctx.cal.days, 2), n)
    customer = np.isin(ctx.pop.profile, [P[p] for p in (*PERSON_PROFILES, Profile.SMALL_BUSINESS,
                                                          Profile.LARGE_BUSINESS, Profile.MERCHANT)])
    return np.where(customer & (u < ctx.legit.openings), day, 0)


LEGIT: dict[str, Callable[[Ctx], Flows]] = {
    "payroll_fan_out": payroll_fan_out,
    "supplier_fan_in": supplier_fan_in,
    "group_sweep": group_sweep,
    "group_cycle": group_cycle,
    "property": property_purchase,
    "trade": trade,
    "remittance_chain": remittance_chain,
    "cash_business": cash_business,
}

__all__ = ["LEGIT", "groups", "opened_after"]
