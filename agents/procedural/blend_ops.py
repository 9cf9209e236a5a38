"""Operators that make a scenario blend in: amounts sized like the payer's own payments,
payments on the calendar of their channel, and a cash-intensive business as cover.

They answer the critic's amount, timing and camouflage objections (see `steering`), which
the structural operators of `operators` cannot: no hop or delay changes what an amount
says about its payer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np

from agents.procedural.load_ops import BLEND_SHARE, TURNOVER_USD, throughput
from agents.procedural.operators import (
    _HIJACK_PROFILE,
    Doc,
    OpContext,
    _entity,
    _fresh,
    _ids,
    _pick_transfer,
    _real,
    _total,
    _upper,
    operator,
)
from graph_schema.compiler.blend import FALLBACK_MEDIAN_USD
from graph_schema.compiler.flows import CALENDAR_STRETCH_H
from graph_schema.enums import Profile
from graph_schema.reference import jurisdictions

MAX_PARTS = 100  # the DSL's bound on a mimic amount's parts
RIDE_REPEATS = 4  # payments a ride looks for: each carries only what the payer pays its payee
# Operators whose whole effect `blend_draft` already has: on a blended child they change nothing
BLEND_UNDOES = ("align_calendar", "recruit_hijacked", "usual_channel")
# Profiles an entity of a kind is recruited from, in turn, once the World's room for the ones
# before is taken (its own profile first): a business, say, is then recruited as a merchant
# rather than opened as a new account, which its peers tell apart at once.
_FIRMS = ("small_business", "merchant", "large_business", "self_employed")
_ALIKE = {"person": ("salaried", "retiree", "self_employed", "student"), "business": _FIRMS,
          "shell_company": _FIRMS}


@operator("mimic_amounts")
def mimic_amounts(doc: Doc, rng, ctx: OpContext) -> Doc | None:
    """Pay a (flagged) transfer in parts sized like its payer's own payments on the channel:
    as many as its total needs at the channel's usual size, at most 100 (a larger total
    then moves less: blending in costs volume)."""
    t = _pick_transfer(doc, rng, ctx, lambda t: t["amount"]["kind"] != "mimic")
    if t is None:
        return None
    total = _total(t["amount"])
    usual = FALLBACK_MEDIAN_USD.get(t.get("channel", "Wire"), 1_000.0)
    parts = int(np.clip(np.ceil(_upper(total, doc) / (usual * float(rng.uniform(1.2, 2.0)))), 1, MAX_PARTS))
    t["amount"] = {"kind": "mimic", "total": total, "parts": parts}
    _round_like(t)
    timing = t.setdefault("timing", {})
    if parts > 1 and not timing.get("every"):
        timing["every"] = {"dist": "exponential", "low": 1.0, "high": float(rng.uniform(6, 24))}
    return doc


def _round_like(t: dict) -> None:
    """Round ``t``'s payments like its payer's own (`round_like_payer`), unless it rides (it
    then pays its payment's amount) or is paid in Bitcoin."""
    if _fiat(t):
        t["round_like_payer"] = True


@operator("align_calendar")
def align_calendar(doc: Doc, rng, ctx: OpContext) -> Doc | None:
    """Put (flagged) transfers on their channel's calendar: their payments then fall on the
    weekdays and hours, month ends included, when such payments are made."""
    pool = [t for t in _real(doc) if not t.get("timing", {}).get("calendar")]
    if not pool:
        return None
    flagged = [t for t in pool if t["id"] in ctx.flagged]
    picked = flagged or [pool[i] for i in rng.choice(len(pool), size=min(3, len(pool)), replace=False)]
    for t in picked:
        t.setdefault("timing", {})["calendar"] = True
    doc["horizon_days"] = float(min(ctx.max_days, doc["horizon_days"] + CALENDAR_STRETCH_H / 24))
    return doc


def _payments_between(doc: Doc) -> list[dict]:
    """Transfers `usual_channel` can apply to: between two entities (not a Reinvestment), not
    riding, not in Bitcoin, not already on it."""
    return [t for t in _real(doc) if t["src"] != t["dst"] and _fiat(t) and not t.get("usual_channel")]


def _fiat(t: dict) -> bool:
    """Whether ``t`` pays amounts of its own in a fiat currency: not a ride, not in Bitcoin."""
    return not t.get("ride") and "Bitcoin" not in (t.get("channel"), t.get("currency"))


@operator("usual_channel")
def usual_channel(doc: Doc, rng, ctx: OpContext) -> Doc | None:
    """Pay (flagged) transfers on the channels their payer's own payments use, drawn in its
    shares (the compiler draws; a business pays mostly by ACH, a person by card), not on a
    channel its peers seldom use for such payments."""
    pool = _payments_between(doc)
    if not pool:
        return None
    flagged = [t for t in pool if t["id"] in ctx.flagged]
    picked = flagged or [pool[i] for i in rng.choice(len(pool), size=min(3, len(pool)), replace=False)]
    for t in picked:
        t["usual_channel"] = True
    return doc


@operator("business_cover")
def business_cover(doc: Doc, rng, ctx: OpContext) -> Doc | None:
    """Route a (flagged) transfer through a hijacked cash-intensive merchant, whose daily cash
    takings cover the deposit; it passes most of it on as invoice payments."""
    t = _pick_transfer(doc, rng, ctx, lambda t: t["src"] != t["dst"])
    if t is None:
        return None
    taken = _ids(doc)
    dst = _entity(doc, t["dst"])
    cover = {"id": _fresh(taken, "cover_"), "kind": "business", "role": "front",
             "jurisdiction": dst["jurisdiction"], "recruit": {"mode": "hijack", "profile": "merchant"}}
    doc["entities"].append(cover)
    fwd_id = _fresh(taken, f"{t['id']}_cover_")[:40]
    for other in doc["transfers"]:  # whoever waited for t now waits for the cover's payment
        timing = other.get("timing", {})
        timing["after"] = [fwd_id if a == t["id"] else a for a in timing.get("after", [])]
    t["dst"], t["channel"], t["purpose"] = cover["id"], "Cash", "purchase"
    doc["transfers"].append({
        "id": fwd_id, "src": cover["id"], "dst": dst["id"], "channel": "ACH", "purpose": "invoice",
        "amount": {"kind": "mimic", "parts": int(rng.integers(2, 8)),
                   "total": {"kind": "fraction", "fraction": round(float(rng.uniform(0.85, 0.95)), 4)}},
        "round_like_payer": True,
        "timing": {"after": [t["id"]], "delay": {"dist": "uniform", "low": 12.0, "high": 72.0},
                   "every": {"dist": "exponential", "low": 2.0, "high": 24.0}, "calendar": True}})
    doc["horizon_days"] = float(min(ctx.max_days, doc["horizon_days"] + (72 + CALENDAR_STRETCH_H) / 24))
    return doc


def _ride_hops(doc: Doc) -> list[dict]:
    """Transfers that can ride their payer's own payments: between two customer accounts (a
    person, business or shell company, recruited or to be), from a payer that holds no initial
    funds (the proceeds reach it by a payment of their own)."""
    ents = {e["id"]: e for e in doc["entities"]}
    return [t for t in _real(doc) if t["src"] != t["dst"] and not t.get("ride")
            and ents[t["src"]]["kind"] in _HIJACK_PROFILE and ents[t["dst"]]["kind"] in _HIJACK_PROFILE
            and not ents[t["src"]].get("initial_funds")]


def _recruit(e: dict) -> None:
    """Recruit ``e`` from the World's accounts of its profile (its kind's usual one if unset)."""
    if (e.get("recruit") or {}).get("mode") != "hijack":
        e["recruit"] = {"mode": "hijack",
                        "profile": (e.get("recruit") or {}).get("profile") or _HIJACK_PROFILE[e["kind"]]}


def _commingle(doc: Doc, t: dict) -> None:
    """Recruit ``t``'s payer and payee from the World and make ``t`` ride (`_ride`)."""
    for e in doc["entities"]:
        if e["id"] in (t["src"], t["dst"]):
            _recruit(e)
    _ride(t)


def _ride(t: dict) -> None:
    """Make ``t`` ride its payer's ACH payments (the channel that carries most business
    payments), spreading what it moved over `RIDE_REPEATS` payments: each carries a share of
    what the payer received (as much in all as the transfer moved before, if it moved a share)."""
    t["ride"] = True
    t["channel"] = "ACH"
    t.pop("usual_channel", None)  # a ride is paid on the channel and amount of the payment it rides
    t.pop("round_like_payer", None)
    amount, timing = t["amount"], t.setdefault("timing", {})
    share = amount["total"] if amount["kind"] in ("split", "mimic") else amount
    whole = share["fraction"] * int(timing.get("repeats", 1)) if share["kind"] == "fraction" else 0.9
    timing["repeats"] = max(int(timing.get("repeats", 1)), RIDE_REPEATS)
    t["amount"] = {"kind": "fraction", "fraction": round(min(whole, 1.0) / timing["repeats"], 4)}


def _drain(doc: Doc) -> None:
    """Whoever is paid by rides forwards shares of what it received, not set amounts: a ride
    carries only what its payments pay, so a set amount would forward money never received."""
    riders = {t["dst"] for t in doc["transfers"] if t.get("ride")}
    for e in riders:
        out = [t for t in _real(doc) if t["src"] == e and t["dst"] != e and not t.get("ride")]
        occurrences = sum(int(t.get("timing", {}).get("repeats", 1)) for t in out)
        for t in out:
            share = {"kind": "fraction", "fraction": round(0.95 / max(occurrences, 1), 4)}
            if t["amount"]["kind"] in ("split", "mimic"):
                t["amount"]["total"] = share
            else:
                t["amount"] = share


@operator("ride_flows")
def ride_flows(doc: Doc, rng, ctx: OpContext) -> Doc | None:
    """Commingle: a (flagged) transfer between two customer accounts, both recruited from the
    World, moves the money inside the payments its payer makes to its payee anyway, so it adds
    no payment of its own (the payee becomes one of the payer's usual payees)."""
    pool = _ride_hops(doc)
    if not pool:
        return None
    flagged = [t for t in pool if t["id"] in ctx.flagged]
    _commingle(doc, (flagged or pool)[int(rng.integers(len(flagged or pool)))])
    _drain(doc)
    return doc


def blend_draft(doc: Doc, ctx: OpContext, room: Callable[[str, str], int] | None = None,
                rides: bool = False) -> Doc:
    """``doc`` made to pass for its accounts' peers as a whole: every customer account it would
    open (a person, business or shell company) is recruited from the World's accounts of its
    profile instead, so its flows mix with a real history; and every payment that moves the
    funds falls on its channel's calendar. The planner applies it after `fit_capacity`, the
    evolver to every child (`agents.blend_in`): a newly opened account, with a short life
    and no history, is what tells a draft's accounts from their peers best, and off-calendar
    hours and weekends come next.

    ``room(profile, jurisdiction)``: how many accounts of that profile the World has there; an
    account is recruited only while the draft takes at most half of them; an entity that moves
    more than its own profile's peers turn over is recruited first from a profile alike whose
    peers turn over enough (`_by_fit`); beyond the room it is recruited from the next profile
    alike (`_ALIKE`: a business as a merchant, say) that has room, each profile in the entity's
    jurisdiction first and then, for an offshore centre, in the others of its currency
    (`_places`, which moves it there); only when none has room is it left new (so a small World
    still compiles the draft) or, if recruited, opened. Every
    payment between two customer accounts is paid on the channels its payer's own payments
    use (`usual_channel`), and every payment, but a ride or one in Bitcoin, is rounded as often
    as its payer's own payments are (`round_like_payer`). The payments go on the calendar only
    where ``ctx.max_days`` leaves a day beyond the calendar's longest quiet stretch (a long
    weekend, `CALENDAR_STRETCH_H`); in a shorter window their own timing is kept. With ``rides``
    every transfer between two customer accounts whose payer holds no initial funds then rides
    its payer's own payments (`ride_flows` on each)."""
    used: Counter = Counter()
    load = throughput(doc) if doc["transfers"] else {}
    for e in doc["entities"]:
        recruit = e.get("recruit") or {}
        if e["kind"] not in _HIJACK_PROFILE:
            continue
        first = recruit.get("profile") or _HIJACK_PROFILE[e["kind"]]
        keys = [(p, j) for p in _by_fit((first, *_ALIKE[e["kind"]]), load.get(e["id"], 0.0))
                for j in _places(e["jurisdiction"])]
        free = next((k for k in dict.fromkeys(keys) if room is None or 2 * (used[k] + 1) <= room(*k)), None)
        if free is not None:
            e["recruit"], e["jurisdiction"] = {"mode": "hijack", "profile": free[0]}, free[1]
            used[free] += 1
        elif recruit.get("mode") == "hijack":  # a copy beyond the World's room opens an account
            e["recruit"] = {"mode": "new", "profile": first}
    if rides:
        for t in _ride_hops(doc):
            _commingle(doc, t)
        _drain(doc)
    ents = {e["id"]: e for e in doc["entities"]}
    for t in _payments_between(doc):
        if ents[t["src"]]["kind"] in _HIJACK_PROFILE and ents[t["dst"]]["kind"] in _HIJACK_PROFILE:
            t["usual_channel"] = True
    for t in doc["transfers"]:
        _round_like(t)
    # on the calendar only where a chain can wait out its longest quiet stretch and still run
    fits = ctx.max_days * 24 >= CALENDAR_STRETCH_H + 24
    moved = [t for t in _real(doc) if fits and not t.get("timing", {}).get("calendar")]
    for t in moved:
        t.setdefault("timing", {})["calendar"] = True
    if moved:
        doc["horizon_days"] = float(min(ctx.max_days, doc["horizon_days"] + CALENDAR_STRETCH_H / 24))
    return doc


def _places(code: str) -> tuple[str, ...]:
    """Where an entity of jurisdiction ``code`` may be recruited: there, and for an offshore
    centre the other offshore centres of its currency after it (a shell layering's copies
    spread over Cayman, Panama and Dubai once Cayman's few companies are taken, instead of
    opening accounts with no history; the same currency, so no conversion is added)."""
    own = next((j for j in jurisdictions() if j.code == code), None)
    if own is None or not own.offshore:
        return (code,)
    return (code, *(j.code for j in jurisdictions()
                    if j.offshore and j.currency == own.currency and j.code != code))


def _by_fit(profiles: tuple[str, ...], load: float) -> list[str]:
    """``profiles`` (the first is the entity's own) in the order an account is recruited from
    them: its own first while its peers' turnover covers ``load`` (`load_ops.capacity`); else
    those alike whose turnover does, smallest first, then the rest as given (all by turnover,
    largest first, when none does). A shell that moves
    three times what a small business turns over passes among large businesses, which turn over
    ten times as much, and is told from small businesses at once."""
    order = list(dict.fromkeys(profiles))
    cover = lambda p: BLEND_SHARE * TURNOVER_USD.get(p, 0.0) >= load  # noqa: E731
    if cover(order[0]):
        return order
    fits = sorted((p for p in order if cover(p)), key=lambda p: TURNOVER_USD[p])
    if not fits:  # none covers it: the peers that turn over most hide it best
        return sorted(order, key=lambda p: -TURNOVER_USD.get(p, 0.0))
    return fits + [p for p in order if p not in fits]


def world_room(world) -> Callable[[str, str], int]:
    """`blend_draft`'s ``room`` in ``world``: the background accounts of a profile the compiler
    can hijack for an entity of a jurisdiction (those at its banks there, else anywhere)."""
    def room(profile: str, jurisdiction: str) -> int:
        local = world.accounts_of(Profile(profile), world.banks_in(jurisdiction))
        return len(local) if len(local) else len(world.accounts_of(Profile(profile)))
    return room


__all__ = ["BLEND_UNDOES", "RIDE_REPEATS", "align_calendar", "blend_draft", "business_cover", "mimic_amounts",
           "ride_flows", "usual_channel", "world_room"]
