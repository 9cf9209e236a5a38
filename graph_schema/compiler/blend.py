"""Blending in: `mimic` amounts sized like the paying account's own payments, payments
rounded as often as the payer's own are (`round_like_payer`), `calendar`
timing at the hours the World's calendar gives legitimate payments of the same channel, and
the profile a new account is opened as."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from graph_schema.compiler.resolve import paid_in
from graph_schema.dsl import Entity, MimicAmount, Scenario
from graph_schema.enums import Channel, EntityKind, Profile
from graph_schema.reference import BITCOIN, convert
from graph_schema.tables import CHANNELS, CURRENCIES, PROFILES
from graph_schema.world.calendar import CHANNEL_STYLE
from graph_schema.world.history import human_unit, is_round

USD = CURRENCIES.index("US Dollar")
KIND_PROFILE = {EntityKind.PERSON: Profile.SALARIED, EntityKind.BUSINESS: Profile.SMALL_BUSINESS,
                EntityKind.SHELL_COMPANY: Profile.SMALL_BUSINESS,
                EntityKind.MONEY_SERVICE: Profile.MONEY_SERVICE,
                EntityKind.CRYPTO_EXCHANGE: Profile.CRYPTO_EXCHANGE, EntityKind.CASH: Profile.CASH_DESK}
# Median legitimate payment per channel (USD) for a World without a ledger to learn from
# (a World read without its ledger): log-normal with sigma 0.9 around it.
FALLBACK_MEDIAN_USD = {"Credit Card": 45.0, "ACH": 1_400.0, "Wire": 2_500.0, "Cheque": 800.0,
                       "Cash": 300.0, "Bitcoin": 500.0, "Reinvestment": 5_000.0}
# The channels `usual_channel` draws among: payments between two accounts (cash, Bitcoin and
# Reinvestment move money by other rules)
PAYMENT_CHANNELS = np.array([CHANNELS.index(c) for c in ("ACH", "Wire", "Cheque", "Credit Card")])
JITTER = 0.03  # a drawn amount is moved by up to 3%, so that no payment copies a past one exactly
ROUND_LOSS = 0.10  # a payment rounded like its payer's keeps at least 90% of what it would have been


def opened_profile(e: Entity) -> Profile:
    """The profile a new account of entity ``e`` is opened as."""
    return e.recruit.profile or KIND_PROFILE[e.kind]


def usual_amounts(world, account: int, profile: Profile, channel: int) -> np.ndarray:
    """Legitimate payment amounts (USD) the paying account is known for on ``channel``: its
    own (``account`` >= 0), else its profile's, else a fallback of the channel."""
    usd = world.history.of_account(account, channel) if account >= 0 else np.zeros(0)
    if not len(usd):
        usd = world.history.of_profile(PROFILES.index(profile.value), channel)
    if not len(usd):
        usd = np.array([FALLBACK_MEDIAN_USD[CHANNELS[channel]]])
    return usd


def usual_channel(world, account: int, profile: Profile, rng: np.random.Generator) -> int | None:
    """A channel (code into CHANNELS) drawn from those the paying account's own legitimate
    payments use, in their shares (`PAYMENT_CHANNELS` only); its profile's shares for an
    account without such payments; None when the profile pays on none of them either."""
    counts = world.history.channel_counts(account)[PAYMENT_CHANNELS] if account >= 0 else np.zeros(1)
    if not counts.sum():
        counts = world.history.profile_channel_counts(PROFILES.index(profile.value))[PAYMENT_CHANNELS]
    if not counts.sum():
        return None
    return int(rng.choice(PAYMENT_CHANNELS, p=counts / counts.sum()))


def payer_profile(s: Scenario, world, res, src: str) -> Profile:
    """The profile of the account entity ``src`` was resolved to (``res``): a background
    account's own, the profile a new one is opened as."""
    acc = res.account[src]
    if acc >= 0:
        return Profile(PROFILES[int(world.profile_codes[acc])])
    return opened_profile(next(e for e in s.entities if e.id == src))


def on_usual_channels(s: Scenario, world, res, rng) -> Scenario:
    """``s`` with each `usual_channel` transfer's channel drawn from its payer's own
    (`usual_channel`), in transfer order; ``s`` itself when none asks for it."""
    if not any(t.usual_channel for t in s.transfers):
        return s
    transfers = []
    for t in s.transfers:
        drawn = usual_channel(world, res.account[t.src], payer_profile(s, world, res, t.src), rng) \
            if t.usual_channel else None
        transfers.append(t if drawn is None else t.model_copy(update={"channel": Channel(CHANNELS[drawn])}))
    return s.model_copy(update={"transfers": transfers})


def mimic_parts(spec: MimicAmount, total: float, usual_usd: np.ndarray, base_currency: int,
                rng: np.random.Generator, in_base: bool = True) -> list[float]:
    """``spec.parts`` amounts in the base currency, drawn from ``usual_usd`` (jittered), all
    scaled down together when they would exceed ``total``; floored to cents. With ``in_base``
    (a transfer without `round_like_payer`), some are then rounded in the base currency as
    often as ``usual_usd`` are round in dollars (`_round_in_base`); else they are rounded
    later, in the payer's currency (`payer_rounding`)."""
    draws = rng.choice(usual_usd, size=spec.parts) * rng.uniform(1 - JITTER, 1 + JITTER, spec.parts)
    if len(usual_usd) == 1:  # one known payment (or the channel's fallback) is no distribution
        draws = usual_usd[0] * rng.lognormal(0.0, 0.9, spec.parts)
    parts = convert(draws, USD, base_currency)
    if parts.sum() > total:
        parts = parts * (total / parts.sum())
    parts = np.floor(parts * 100) / 100
    return (_round_in_base(parts, usual_usd, rng) if in_base else parts).tolist()


def _round_in_base(parts: np.ndarray, usual_usd: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each part, with probability the share of ``usual_usd`` that are round in dollars, rounded
    to 1, 5 or 10 of its scale's human unit (to the nearest, or down where that would take the
    parts over what they were). Kept as it was, so that the scenarios released with `mimic`
    amounts compile to the same bytes; it misjudges a payer whose currency is not the dollar or
    not the base currency, which `round_like_payer` (`payer_rounding`) does not."""
    share = float(np.mean(is_round(usual_usd))) if len(usual_usd) >= 2 else 0.0
    unit = human_unit(parts) * rng.choice(np.array([1.0, 5.0, 10.0]), size=len(parts))
    pick = rng.random(len(parts)) < share
    near = np.where(pick, np.maximum(unit, np.round(parts / unit) * unit), parts)
    if near.sum() > parts.sum():
        down = np.floor(parts / unit) * unit
        near = np.where(pick & (down > 0), down, parts)
    return near


def round_down_like(local: float, share: float, rng: np.random.Generator) -> float:
    """With probability ``share``, ``local`` rounded down to 1, 5 or 10 of its scale's human
    unit (drawn among those that keep at least 1 - ROUND_LOSS of it), as the World rounds its
    own payments (`behaviours.roundify`) but never up, so that a payment stays within what its
    payer holds; else ``local`` unchanged (also when no unit keeps enough of it)."""
    if rng.random() >= share:
        return local
    unit = human_unit(np.array([local]))[0] * np.array([1.0, 5.0, 10.0])
    down = np.floor(local / unit) * unit
    ok = down[(down > 0) & (down >= (1 - ROUND_LOSS) * local)]
    return float(rng.choice(ok)) if len(ok) else local


def payer_rounding(s: Scenario, world, res) -> Callable[[int, float, np.random.Generator], float]:
    """``like(transfer index, base amount, rng)``: the amount, paid in its payer's currency,
    rounded down to a human unit there as often as the payer's own payments on the transfer's
    channel are round (its profile's, for an account without payments; `PaymentHistory.round_share`),
    and given back in the base currency. A payer that never pays a round sum where its peers
    often do (rent, invoices, transfers to family) stands out; a Bitcoin payment is not rounded."""
    base, shares = CURRENCIES.index(s.currency.value), {}

    def like(i: int, amount: float, rng: np.random.Generator) -> float:
        t = s.transfers[i]
        pc = paid_in(t, res)
        if pc == BITCOIN:
            return amount
        if i not in shares:
            profile = PROFILES.index(payer_profile(s, world, res, t.src).value)
            channel = CHANNELS.index(t.channel.value)
            shares[i] = world.history.round_share(res.account[t.src], profile, channel)
        local = float(convert(amount, base, pc))
        down = round_down_like(local, shares[i], rng)
        return amount if down == local else float(convert(down, pc, base))
    return like


def channel_style(channel: int) -> str:
    return CHANNEL_STYLE[CHANNELS[channel]]


__all__ = ["KIND_PROFILE", "mimic_parts", "opened_profile", "payer_rounding", "round_down_like",
           "usual_amounts"]
