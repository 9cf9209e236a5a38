"""Structural rules of a scenario that need no World: references, ids, timing order."""

from __future__ import annotations

from graph_schema.dsl import PARTED, Scenario, sizing
from graph_schema.enums import Channel, Currency, EntityKind, Profile, Purpose
from graph_schema.errors import ScenarioError

MAX_ROWS = 5_000
# No one operation places more than this, in its base currency (a model's grammar cannot bound
# numbers, and 1e18 is not a laundering case; the typologies' cases place 10k to a few million).
MAX_AMOUNT = 1_000_000_000


def check_structure(s: Scenario) -> list[int]:
    """Check references and amounts; return the transfers in a valid timing order.

    Raises:
        ScenarioError: duplicate or unknown ids, a cycle in the timing, bad bounds, no
            entity holding the initial funds, or too many transactions.
    """
    if s.funds_placed > MAX_AMOUNT:
        raise ScenarioError("funds_placed", f"{s.funds_placed:,.0f} is more than any one operation "
                            f"places (at most {MAX_AMOUNT:,}; cases place 10,000 to a few million)")
    ents = _unique([e.id for e in s.entities], "entities", "entity")
    tids = _unique([t.id for t in s.transfers], "transfers", "transfer")
    known = ", ".join(sorted(ents))
    if not any(e.initial_funds for e in s.entities):
        raise ScenarioError("entities", "no entity has initial_funds: true, so no money enters the "
                            "operation; mark where the proceeds start")
    for i, e in enumerate(s.entities):
        if e.kind is EntityKind.CASH and e.recruit.mode == "hijack":
            raise ScenarioError(f"entities[{i}].recruit", "a cash entity stands for its bank's "
                                "cash desk and cannot hijack an account; use recruit mode 'new'")
        if e.recruit.mode == "hijack" and e.recruit.profile in (Profile.CASH_DESK,):
            raise ScenarioError(f"entities[{i}].recruit.profile", "a bank's cash desk cannot be "
                                "hijacked; use an entity of kind 'cash' for cash")
    rows = 0
    for i, t in enumerate(s.transfers):
        p = f"transfers[{i}]"
        for end in ("src", "dst"):
            if getattr(t, end) not in ents:
                raise ScenarioError(f"{p}.{end}", f"unknown entity '{getattr(t, end)}' (known: {known})")
        if t.src == t.dst and t.channel is not Channel.REINVESTMENT:
            raise ScenarioError(f"{p}.dst", "a transfer to the paying entity itself is only "
                                "allowed with channel 'Reinvestment'")
        if t.currency is Currency.BTC and t.channel is not Channel.BITCOIN:
            raise ScenarioError(f"{p}.currency", "Bitcoin is paid only through the 'Bitcoin' channel")
        if t.channel is Channel.BITCOIN and t.currency not in (None, Currency.BTC):
            raise ScenarioError(f"{p}.currency", "the 'Bitcoin' channel pays in Bitcoin; leave "
                                "currency empty or set it to 'Bitcoin'")
        _check_usual_channel(t, p)
        _check_round_like(t, p)
        for j, a in enumerate(t.timing.after):
            if a not in tids:
                raise ScenarioError(f"{p}.timing.after[{j}]", f"unknown transfer '{a}'")
            if a == t.id:
                raise ScenarioError(f"{p}.timing.after[{j}]", "cycle in the timing: a transfer "
                                    "cannot wait for itself")
        _check_bounds(t, p)
        if t.purpose is Purpose.CAMOUFLAGE and t.amount.kind in ("fraction",):
            raise ScenarioError(f"{p}.amount", "a camouflage transfer is paid from legitimate "
                                "funds, so it needs a fixed or range amount, not a fraction")
        if t.ride:
            _check_ride(s, t, p)
        parts = t.amount.parts if t.amount.kind == "split" else 1
        rows += parts * t.timing.repeats
    if rows > MAX_ROWS:
        raise ScenarioError("transfers", f"expands to {rows} transactions; at most {MAX_ROWS} "
                            "are allowed (reduce repeats or parts)")
    return _timing_order(s)


def _check_ride(s: Scenario, t, p: str) -> None:
    """A ride is carried by a payment between two background accounts, of money that entered
    the operation by payments of its own."""
    ents = {e.id: e for e in s.entities}
    for end in ("src", "dst"):
        if ents[getattr(t, end)].recruit.mode != "hijack":
            raise ScenarioError(f"{p}.ride", f"'{getattr(t, end)}' is not hijacked: a ride is carried "
                                "by a payment between two background accounts")
    if ents[t.src].initial_funds:
        raise ScenarioError(f"{p}.ride", f"'{t.src}' holds initial funds: the proceeds must enter by "
                            "payments of their own before they ride legitimate ones")
    if t.purpose is Purpose.CAMOUFLAGE or t.src == t.dst:
        raise ScenarioError(f"{p}.ride", "a ride carries the operation's money from one entity to "
                            "another; it cannot be camouflage or a payment to itself")


def _unique(ids: list[str], path: str, what: str) -> set[str]:
    seen: set[str] = set()
    for i, x in enumerate(ids):
        if x in seen:
            raise ScenarioError(f"{path}[{i}].id", f"duplicate {what} id '{x}'")
        seen.add(x)
    return seen


def _blend_flag_set(t, p: str, flag: str, with_ride: str, with_bitcoin: str) -> bool:
    """Whether blending flag ``flag`` is set on ``t``; refused (one line, its JSON path) on a
    ride, whose payments are the payer's own, and on a Bitcoin payment."""
    if not getattr(t, flag):
        return False
    if t.ride:
        raise ScenarioError(f"{p}.{flag}", f"a transfer that rides the payer's payments {with_ride}; "
                            f"set {flag} or ride, not both")
    if t.currency is Currency.BTC or t.channel is Channel.BITCOIN:
        raise ScenarioError(f"{p}.{flag}", f"a Bitcoin payment {with_bitcoin}")
    return True


def _check_usual_channel(t, p: str) -> None:
    if not _blend_flag_set(t, p, "usual_channel", "is paid on their channel", "has only the 'Bitcoin' "
                           "channel; usual_channel draws among ACH, Wire, Cheque and Credit Card"):
        return
    if t.src == t.dst:
        raise ScenarioError(f"{p}.usual_channel", "a Reinvestment is paid to the payer itself, on its own "
                            "channel; usual_channel is for payments between two entities")


def _check_round_like(t, p: str) -> None:
    _blend_flag_set(t, p, "round_like_payer", "pays their amounts", "has no human unit to round to; "
                    "round_like_payer is for fiat payments")


def _check_bounds(t, p: str) -> None:
    amt = sizing(t.amount)
    sub = ".total" if t.amount.kind in PARTED else ""
    top = amt.value if amt.kind == "fixed" else amt.high if amt.kind == "range" else 0.0
    if top > MAX_AMOUNT:
        raise ScenarioError(f"{p}.amount{sub}.{'value' if amt.kind == 'fixed' else 'high'}",
                            f"{top:,.0f} is more than any one operation places (at most {MAX_AMOUNT:,})")
    if amt.kind == "range" and amt.low > amt.high:
        raise ScenarioError(f"{p}.amount{sub}.low", f"low ({amt.low:g}) is above high ({amt.high:g})")
    if t.amount.kind == "split" and amt.kind in ("fixed", "range"):
        top = amt.value if amt.kind == "fixed" else amt.low
        if top / t.amount.parts >= t.amount.under:
            raise ScenarioError(f"{p}.amount.parts", f"{t.amount.parts} parts of {top:,.2f} cannot "
                                f"all stay under {t.amount.under:,.2f}; use more parts")
    for name, d in (("delay", t.timing.delay), ("every", t.timing.every)):
        if d is not None and d.dist.value == "uniform" and d.low > d.high:
            raise ScenarioError(f"{p}.timing.{name}.low", f"low ({d.low:g}) is above high ({d.high:g})")


def _timing_order(s: Scenario) -> list[int]:
    """Kahn's algorithm over `after`; a leftover node means a cycle, which is named."""
    index = {t.id: i for i, t in enumerate(s.transfers)}
    waits = [[index[a] for a in t.timing.after] for t in s.transfers]
    indeg = [len(set(w)) for w in waits]
    users: list[list[int]] = [[] for _ in s.transfers]
    for i, w in enumerate(waits):
        for a in set(w):
            users[a].append(i)
    ready = [i for i, d in enumerate(indeg) if d == 0]
    order: list[int] = []
    while ready:
        i = ready.pop(0)
        order.append(i)
        for u in users[i]:
            indeg[u] -= 1
            if indeg[u] == 0:
                ready.append(u)
    if len(order) < len(s.transfers):
        stuck = next(i for i, d in enumerate(indeg) if d > 0)
        cycle = _find_cycle(stuck, waits, indeg)
        names = " -> ".join(s.transfers[i].id for i in cycle)
        raise ScenarioError(f"transfers[{cycle[0]}].timing.after", f"cycle in the timing: {names}")
    return order


def _find_cycle(start: int, waits: list[list[int]], indeg: list[int]) -> list[int]:
    path, seen, node = [], {}, start
    while node not in seen:
        seen[node] = len(path)
        path.append(node)
        node = next(a for a in waits[node] if indeg[a] > 0)
    cyc = path[seen[node]:]
    return list(reversed(cyc)) + [cyc[-1]]
