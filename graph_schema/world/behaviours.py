"""Normal economic behaviour, one plain function per kind of flow, registered by name.

Each behaviour returns a `Flows` batch (numpy arrays). Periodic flows (salary, pension,
rent, utilities) follow the calendar; the others are Poisson per account with rates per
profile, scaled so the World hits its transactions-per-account-day target. Amounts are
log-normal in US dollars, converted to the payer's currency, with round-number effects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from graph_schema.enums import Channel, Profile
from graph_schema.reference import BITCOIN, usd_per_unit
from graph_schema.tables import CHANNELS
from graph_schema.world.calendar import Calendar
from graph_schema.world.config import LegitMix
from graph_schema.world.history import human_unit
from graph_schema.world.population import (
    B2B_RATES,
    PERSON_PROFILES,
    P,
    Population,
    by_profile,
    invoice_size,
    pick_targets,
)

CH = {c: CHANNELS.index(c.value) for c in Channel}

# Poisson rates per account-day, by behaviour and profile.
RATES: dict[str, dict[Profile, float]] = {
    "card": {Profile.STUDENT: 0.55, Profile.SALARIED: 0.6, Profile.RETIREE: 0.4,
             Profile.SELF_EMPLOYED: 0.5},
    "p2p": {Profile.STUDENT: 0.15, Profile.SALARIED: 0.1, Profile.RETIREE: 0.05,
            Profile.SELF_EMPLOYED: 0.08},
    "b2b": B2B_RATES,
    "cash_withdrawal": {p: 0.05 for p in PERSON_PROFILES},
    "cash_deposit": {Profile.MERCHANT: 0.4, Profile.SMALL_BUSINESS: 0.1,
                     Profile.SELF_EMPLOYED: 0.1, Profile.SALARIED: 0.01},
    "reinvestment": {Profile.LARGE_BUSINESS: 0.2, Profile.SMALL_BUSINESS: 0.03,
                     Profile.MERCHANT: 0.03},
    "large": {Profile.SALARIED: 0.0015, Profile.RETIREE: 0.0015, Profile.SELF_EMPLOYED: 0.002,
              Profile.LARGE_BUSINESS: 0.02, Profile.SMALL_BUSINESS: 0.002},
}
# Per-member rates of behaviours limited to a sub-population (remitters, crypto users).
GROUP_RATES = {"remittance": 0.05, "crypto": 0.06}


@dataclass
class Flows:
    """A batch of transactions: offsets in seconds from the start, amounts paid."""

    src: np.ndarray
    dst: np.ndarray
    t: np.ndarray
    amount: np.ndarray  # in the payer's currency, or Bitcoin for the Bitcoin channel
    channel: np.ndarray


@dataclass
class Ctx:
    """What a behaviour draws with. ``lo:hi`` is the range of accounts whose activity this
    call simulates (a shard); the default is every account. Counterparties are global."""

    rng: np.random.Generator
    pop: Population
    cal: Calendar
    scale: float = 1.0
    lo: int = 0
    hi: int | None = None
    legit: LegitMix = field(default_factory=LegitMix)

    @property
    def stop(self) -> int:
        return self.pop.n if self.hi is None else self.hi

    def own(self, ids: np.ndarray) -> np.ndarray:
        """Boolean mask: which of ``ids`` drive their flows in this call."""
        return (ids >= self.lo) & (ids < self.stop)


def roundify(rng: np.random.Generator, x: np.ndarray, p: float) -> np.ndarray:
    """With probability ``p``, round an amount to a 'human' unit (10, 50, 100 of its scale)."""
    unit = human_unit(x) * rng.choice(np.array([1.0, 5.0, 10.0]), size=len(x))
    rounded = np.maximum(unit, np.round(x / unit) * unit)
    return np.where(rng.random(len(x)) < p, rounded, x)


def make(ctx: Ctx, src, dst, t, usd, channel, round_p: float = 0.0) -> Flows:
    """Flows from US-dollar amounts: converted to the payer's currency, then rounded."""
    src = np.asarray(src, dtype=np.int64)
    channel = np.broadcast_to(np.asarray(channel, dtype=np.int8), src.shape).copy()
    cur = np.where(channel == CH[Channel.BITCOIN], BITCOIN, ctx.pop.currency[src])
    local = usd / usd_per_unit()[cur]
    if round_p:
        fiat = cur != BITCOIN
        local[fiat] = roundify(ctx.rng, local[fiat], round_p)
    return Flows(src, np.asarray(dst, dtype=np.int64), np.asarray(t, dtype=np.int64), local, channel)


def poisson_sources(ctx: Ctx, behaviour: str) -> np.ndarray:
    """Source account of every event of a Poisson behaviour (repeated per event)."""
    rate = by_profile(RATES[behaviour])
    lo, hi = ctx.lo, ctx.stop
    lam = rate[ctx.pop.profile[lo:hi]] * ctx.pop.activity[lo:hi] * ctx.cal.days * ctx.scale
    return np.repeat(np.arange(lo, hi), ctx.rng.poisson(lam))


def group_sources(ctx: Ctx, members: np.ndarray, rate: float) -> np.ndarray:
    members = members[ctx.own(members)]
    lam = rate * ctx.pop.activity[members] * ctx.cal.days * ctx.scale
    return np.repeat(members, ctx.rng.poisson(lam))


def expected_poisson(pop: Population, days: int) -> float:
    """Expected number of Poisson-driven transactions at scale 1."""
    total = 0.0
    for rates in RATES.values():
        for prof, r in rates.items():
            total += r * pop.activity[pop.profile == P[prof]].sum() * days
    for name, r in GROUP_RATES.items():
        members = pop.rel["remitters" if name == "remittance" else "crypto_users"]
        total += r * pop.activity[members].sum() * days * (1.9 if name == "remittance" else 1.0)
    return total


def _pick_from_list(ctx: Ctx, src: np.ndarray, indptr_key: str, list_key: str) -> np.ndarray:
    indptr, targets = ctx.pop.rel[indptr_key], ctx.pop.rel[list_key]
    deg = indptr[src + 1] - indptr[src]
    return targets[indptr[src] + (ctx.rng.random(len(src)) * deg).astype(np.int64)]


# ---------------------------------------------------------------- periodic


def utility_due(payers: np.ndarray) -> np.ndarray:
    """A fixed due day of the month per utility payer."""
    return (payers * 7919) % 28 + 1


def expected_periodic(pop: Population, cal: Calendar) -> int:
    """Number of periodic payments due in the period, without the random payment lag.

    A sharded World scales its Poisson flows with this count, which every shard can
    compute alike; the unsharded generator counts the flows it drew instead.
    """
    rel = pop.rel
    dues = [rel["payday"][rel["employer"]], np.full(len(rel["retiree"]), 3),
            np.ones(len(rel["renter"]), dtype=np.int64), utility_due(rel["utility_payer"])]
    return sum(len(cal.monthly(d, 0, None)[0]) for d in dues)


def _owned(ctx: Ctx, driver: str, *others: str) -> list[np.ndarray]:
    """The relationship arrays ``driver`` and ``others`` restricted to owned drivers."""
    rel = ctx.pop.rel
    mine = ctx.own(rel[driver])
    return [rel[k][mine] for k in (driver, *others)]


def salary(ctx: Ctx) -> Flows:
    rel = ctx.pop.rel
    workers, emp = _owned(ctx, "worker", "employer")
    idx, day = ctx.cal.monthly(rel["payday"][emp], 0, ctx.rng)
    worker = workers[idx]
    usd = np.round(rel["salary"][worker], 2)
    return make(ctx, emp[idx], worker, ctx.cal.at_day(ctx.rng, day, "batch"), usd, CH[Channel.ACH])


def pension(ctx: Ctx) -> Flows:
    retirees, payers = _owned(ctx, "retiree", "pension_payer")
    idx, day = ctx.cal.monthly(np.full(len(retirees), 3), 0, ctx.rng)
    who = retirees[idx]
    usd = np.round(ctx.rng.lognormal(np.log(1800), 0.35, ctx.pop.n)[who], 2)
    return make(ctx, payers[idx], who, ctx.cal.at_day(ctx.rng, day, "batch"), usd,
                CH[Channel.ACH])


def rent(ctx: Ctx) -> Flows:
    renters, landlords = _owned(ctx, "renter", "landlord")
    idx, day = ctx.cal.monthly(np.ones(len(renters), dtype=np.int64), 4, ctx.rng)
    who = renters[idx]
    ch = np.where(ctx.rng.random(len(idx)) < 0.25, CH[Channel.CHEQUE], CH[Channel.ACH])
    return make(ctx, who, landlords[idx], ctx.cal.at_day(ctx.rng, day, "batch"),
                ctx.pop.rel["rent"][who], ch)


def utilities(ctx: Ctx) -> Flows:
    payers, utility = _owned(ctx, "utility_payer", "utility")
    idx, day = ctx.cal.monthly(utility_due(payers), 2, ctx.rng)
    who = payers[idx]
    usd = ctx.rng.lognormal(np.log(110), 0.5, len(idx)) * ctx.pop.level[who] ** 0.5
    return make(ctx, who, utility[idx], ctx.cal.at_day(ctx.rng, day, "batch"), usd,
                CH[Channel.ACH])


# ---------------------------------------------------------------- Poisson


def card(ctx: Ctx) -> Flows:
    src = poisson_sources(ctx, "card")
    rel = ctx.pop.rel
    dst = pick_targets(ctx.rng, ctx.pop, src, rel["merchants"], rel["merchant_w"], 0.03)
    usd = ctx.rng.lognormal(np.log(45), 1.0, len(src)) * ctx.pop.level[src] ** 0.5
    return make(ctx, src, dst, ctx.cal.sample(ctx.rng, len(src), "retail", 0.3), usd,
                CH[Channel.CREDIT_CARD], 0.08)


def p2p(ctx: Ctx) -> Flows:
    src = poisson_sources(ctx, "p2p")
    dst = _pick_from_list(ctx, src, "friends_indptr", "friends")
    usd = ctx.rng.lognormal(np.log(60), 1.0, len(src))
    return make(ctx, src, dst, ctx.cal.sample(ctx.rng, len(src), "social"), usd,
                CH[Channel.ACH], 0.6)


def b2b(ctx: Ctx) -> Flows:
    src = poisson_sources(ctx, "b2b")
    dst = _pick_from_list(ctx, src, "suppliers_indptr", "suppliers")
    size = np.sqrt(invoice_size(ctx.pop, src) * invoice_size(ctx.pop, dst))
    usd = ctx.rng.lognormal(np.log(2500), 1.3, len(src)) * size
    u = ctx.rng.random(len(src))
    ch = np.select([u < 0.55, u < 0.8], [CH[Channel.ACH], CH[Channel.WIRE]], CH[Channel.CHEQUE])
    return make(ctx, src, dst, ctx.cal.sample(ctx.rng, len(src), "business"), usd, ch, 0.15)


def cash_withdrawal(ctx: Ctx) -> Flows:
    src = poisson_sources(ctx, "cash_withdrawal")
    notes = np.array([20, 40, 60, 80, 100, 200, 300, 400, 500, 1000], dtype=np.float64)
    p = np.array([8, 10, 6, 5, 12, 10, 5, 3, 3, 1], dtype=np.float64)
    usd = ctx.rng.choice(notes, size=len(src), p=p / p.sum())
    desk = ctx.pop.cash_desk[ctx.pop.bank[src]]
    return make(ctx, src, desk, ctx.cal.sample(ctx.rng, len(src), "retail"), usd, CH[Channel.CASH])


def cash_deposit(ctx: Ctx) -> Flows:
    dst = poisson_sources(ctx, "cash_deposit")
    usd = ctx.rng.lognormal(np.log(900), 1.1, len(dst)) * ctx.pop.level[dst] ** 0.5
    desk = ctx.pop.cash_desk[ctx.pop.bank[dst]]
    return make(ctx, desk, dst, ctx.cal.sample(ctx.rng, len(dst), "branch"), usd, CH[Channel.CASH], 0.3)


def reinvestment(ctx: Ctx) -> Flows:
    src = poisson_sources(ctx, "reinvestment")
    usd = ctx.rng.lognormal(np.log(6000), 1.4, len(src)) * ctx.pop.level[src] ** 0.5
    return make(ctx, src, src, ctx.cal.sample(ctx.rng, len(src), "batch"), usd,
                CH[Channel.REINVESTMENT])


def large(ctx: Ctx) -> Flows:
    """Rare large legitimate transfers (property, inheritance, acquisitions): hard negatives."""
    src = poisson_sources(ctx, "large")
    firm = ctx.pop.profile[src] == P[Profile.LARGE_BUSINESS]
    cands = ctx.pop.of(Profile.LARGE_BUSINESS, Profile.SMALL_BUSINESS, Profile.SALARIED,
                       Profile.SELF_EMPLOYED)
    dst = pick_targets(ctx.rng, ctx.pop, src, cands, np.ones(len(cands)), 0.1)
    usd = np.where(firm, ctx.rng.lognormal(np.log(350_000), 1.0, len(src)),
                   ctx.rng.lognormal(np.log(40_000), 0.9, len(src)))
    ch = np.where(ctx.rng.random(len(src)) < 0.8, CH[Channel.WIRE], CH[Channel.CHEQUE])
    return make(ctx, src, dst, ctx.cal.sample(ctx.rng, len(src), "business"), usd, ch, 0.5)


def remittance(ctx: Ctx) -> Flows:
    """Persons pay money service businesses, which pay out abroad."""
    pop = ctx.pop
    msb = pop.of(Profile.MONEY_SERVICE)
    if len(msb) == 0:
        return empty_flows()
    src = group_sources(ctx, pop.rel["remitters"], GROUP_RATES["remittance"])
    dst = pick_targets(ctx.rng, pop, src, msb, pop.activity[msb], 0.0)
    usd = ctx.rng.lognormal(np.log(300), 0.6, len(src))
    ch = np.where(ctx.rng.random(len(src)) < 0.6, CH[Channel.CASH], CH[Channel.ACH])
    pay_in = make(ctx, src, dst, ctx.cal.sample(ctx.rng, len(src), "branch"), usd, ch, 0.5)
    # Payouts: about 0.9 per pay-in, by wire to persons in other jurisdictions.
    payer = dst[ctx.rng.random(len(dst)) < 0.9]
    persons = pop.of(*PERSON_PROFILES)
    foreign = pick_targets(ctx.rng, pop, payer, persons, np.ones(len(persons)), 1.0)
    usd_out = ctx.rng.lognormal(np.log(280), 0.7, len(payer))
    pay_out = make(ctx, payer, foreign, ctx.cal.sample(ctx.rng, len(payer), "business"), usd_out,
                   CH[Channel.WIRE])
    return concat([pay_in, pay_out])


def crypto(ctx: Ctx) -> Flows:
    """Crypto users fund exchanges by ACH and move Bitcoin to and from them."""
    pop = ctx.pop
    ex = pop.of(Profile.CRYPTO_EXCHANGE)
    users = group_sources(ctx, pop.rel["crypto_users"], GROUP_RATES["crypto"])
    kind = ctx.rng.choice(3, size=len(users), p=[0.4, 0.4, 0.2])
    exch = ex[ctx.rng.integers(0, len(ex), len(users))]
    peer = pop.rel["crypto_users"][ctx.rng.integers(0, len(pop.rel["crypto_users"]), len(users))]
    src = np.select([kind == 0, kind == 1], [users, exch], users)
    dst = np.select([kind == 0, kind == 1], [exch, users], peer)
    ch = np.where(kind == 0, CH[Channel.ACH], CH[Channel.BITCOIN])
    usd = ctx.rng.lognormal(np.log(500), 1.0, len(users))
    return make(ctx, src, dst, ctx.cal.sample(ctx.rng, len(users), "social"), usd, ch, 0.3)


def empty_flows() -> Flows:
    z = np.zeros(0, dtype=np.int64)
    return Flows(z, z, z, np.zeros(0), z.astype(np.int8))


def concat(parts: list[Flows]) -> Flows:
    return Flows(*(np.concatenate([getattr(f, k) for f in parts])
                   for k in ("src", "dst", "t", "amount", "channel")))


PERIODIC: dict[str, Callable[[Ctx], Flows]] = {
    "salary": salary,
    "pension": pension,
    "rent": rent,
    "utilities": utilities,
}
POISSON: dict[str, Callable[[Ctx], Flows]] = {
    "card": card,
    "p2p": p2p,
    "b2b": b2b,
    "cash_withdrawal": cash_withdrawal,
    "cash_deposit": cash_deposit,
    "reinvestment": reinvestment,
    "large": large,
    "remittance": remittance,
    "crypto": crypto,
}
