"""The World's legitimate typologies (hard negatives) have the shapes of laundering, set by
their rates in the config; one calendar with holidays and month ends times every flow."""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import pytest

from graph_schema.enums import Channel, Profile
from graph_schema.reference import usd_per_unit
from graph_schema.tables import CHANNELS, PROFILES, dictionary_codes
from graph_schema.world import WorldConfig, generate_world
from graph_schema.world.behaviours import CH, Ctx
from graph_schema.world.calendar import Calendar
from graph_schema.world.config import LegitMix
from graph_schema.world.core import population
from graph_schema.world.legit import LEGIT, groups, opened_after

CFG = WorldConfig(accounts=4000, days=35, seed=5)  # 2022-09-01 to 10-05: Labor Day and a month end
OFF = LegitMix(**{k: 0 for k in LegitMix.model_fields})
ON = LegitMix()


@pytest.fixture(scope="module")
def pop():
    return population(CFG)


def _flows(pop, name: str, mix: LegitMix = ON, seed: int = 1):
    return LEGIT[name](Ctx(np.random.default_rng(seed), pop, Calendar(CFG.start, CFG.days), 1.0, legit=mix))


def test_payroll_is_a_same_day_fan_out_of_similar_amounts(pop):
    f = _flows(pop, "payroll_fan_out")
    runs = defaultdict(list)
    for s, d, t, a in zip(f.src, f.dst, f.t // 86_400, f.amount, strict=True):
        runs[(s, t)].append((d, a))
    big = [r for r in runs.values() if len({d for d, _ in r}) >= 5]
    assert big and set(f.channel.tolist()) == {CH[Channel.ACH]}
    spread = [np.std(np.log([a for _, a in r])) for r in big]
    assert np.median(spread) < 0.35  # similar amounts, as a payroll (and a structured fan-out) has
    assert len(_flows(pop, "payroll_fan_out", OFF).src) == 0


def test_supplier_settlement_is_a_fan_in_from_many_small_businesses(pop):
    f = _flows(pop, "supplier_fan_in")
    small = PROFILES.index(Profile.SMALL_BUSINESS.value)
    senders = defaultdict(set)
    for s, d in zip(f.src, f.dst, strict=True):
        senders[d].add(s)
    assert max(len(v) for v in senders.values()) >= 5
    assert np.mean(pop.profile[f.src] == small) > 0.95


def test_an_intra_group_loan_goes_round_a_cycle(pop):
    f = _flows(pop, "group_cycle", LegitMix(group_cycle=5.0))
    n = len(f.src) // 3
    assert n > 0
    first, second, third = (slice(k * n, (k + 1) * n) for k in range(3))
    assert (f.dst[first] == f.src[second]).all() and (f.dst[second] == f.src[third]).all()
    assert (f.dst[third] == f.src[first]).all()  # back to the parent: a cycle
    assert (f.t[first] < f.t[second]).all() and (f.t[second] < f.t[third]).all()
    subs, parent = groups(Ctx(np.random.default_rng(0), pop, Calendar(CFG.start, CFG.days)))
    assert set(f.src[first]) <= set(parent) and len(subs) > 10


def test_cash_businesses_deposit_nearly_every_business_day_under_the_threshold(pop):
    f = _flows(pop, "cash_business")
    cal = Calendar(CFG.start, CFG.days)
    open_days = int(((cal.weekday < 5) & ~cal.holiday).sum())
    per_shop = Counter(f.dst)
    assert per_shop and np.median(list(per_shop.values())) >= 0.75 * open_days
    usd = f.amount * usd_per_unit()[pop.currency[f.src]]
    assert usd.max() < 10_000 and np.mean(usd > 8_000) > 0.01
    assert set(f.channel.tolist()) == {CH[Channel.CASH]}
    assert not np.isin(f.t // 86_400, np.flatnonzero(cal.holiday)).any()


def test_openings_silence_an_account_before_its_opening_day(pop):
    ctx = Ctx(np.random.default_rng(0), pop, Calendar(CFG.start, CFG.days), legit=LegitMix())
    day = opened_after(ctx, CFG.seed)
    assert 0.02 < np.mean(day > 0) < 0.04
    w = generate_world(CFG)
    t = (w.ledger.column("timestamp").to_numpy().view(np.int64) - w.start_epoch) // 86_400
    src, dst = w.ledger.column("src_account").to_numpy(), w.ledger.column("dst_account").to_numpy()
    late = day > 0
    assert not (late[src] & (t < day[src])).any() and not (late[dst] & (t < day[dst])).any()
    active_late = np.unique(np.r_[src[late[src]], dst[late[dst]]])
    assert len(active_late) > 0.5 * late.sum()  # opened accounts do get going


def test_the_legitimate_typologies_are_in_the_world_and_off_when_their_rates_are_0():
    # Openings stay on in both, so the difference is the typologies' own flows.
    typologies_off = OFF.model_copy(update={"openings": LegitMix().openings})
    on, off = generate_world(CFG), generate_world(CFG.model_copy(update={"legit": typologies_off}))
    assert on.ledger.num_rows > off.ledger.num_rows * 1.04
    assert off.ledger.num_rows > 0


def test_business_flows_slow_down_on_holidays_and_peak_at_month_end():
    w = generate_world(CFG.model_copy(update={"legit": OFF}))
    ch = dictionary_codes(w.ledger.column("channel"), CHANNELS)
    t = (w.ledger.column("timestamp").to_numpy().view(np.int64) - w.start_epoch) // 86_400
    wire = np.bincount(t[ch == CHANNELS.index("Wire")], minlength=CFG.days)
    cal = Calendar(CFG.start, CFG.days)
    weekdays = (cal.weekday < 5) & ~cal.holiday & ~cal.month_end
    assert wire[cal.holiday].mean() < 0.3 * wire[weekdays].mean()
    assert cal.month_end.sum() == 2 and wire[cal.month_end].mean() > 1.2 * wire[weekdays].mean()


def test_the_legitimate_flows_drawn_again_are_the_worlds_own_rows():
    """`legit_flows` gives, for each legitimate typology, rows that are in the World's ledger
    (same accounts, same second, same channel): the realism reference measures the accounts
    that really do that activity."""
    from graph_schema.world import legit_flows, legit_participants

    cfg = WorldConfig(accounts=3000, days=10, seed=7)
    w = generate_world(cfg)
    led = w.ledger
    ts = led.column("timestamp").to_numpy().astype("datetime64[s]").view(np.int64) - cfg.start_epoch
    src, dst = led.column("src_account").to_numpy().tolist(), led.column("dst_account").to_numpy().tolist()
    channel = dictionary_codes(led.column("channel"), CHANNELS).tolist()
    rows = set(zip(src, dst, ts.tolist(), channel, strict=True))
    flows, seen = legit_flows(cfg), 0
    for name, f in flows.items():
        mine = list(zip(f.src.tolist(), f.dst.tolist(), f.t.astype(np.int64).tolist(), f.channel.tolist(),
                        strict=True))
        assert all(r in rows for r in mine), name
        seen += len(mine)
    assert seen > 200
    parts = legit_participants(cfg)
    assert set(parts) == set(LEGIT) and len(parts["cash_business"]) > 10
