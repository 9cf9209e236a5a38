"""When each occurrence of a scenario's transfers happens: dependencies, delays, repeats,
the parts of split and mimic amounts, the operation's place in the period, and `calendar`
timing.

With calendar timing the layout is made relative to the operation's start, to learn its
length, then at absolute times with the same delay draws, at starts drawn uniformly where
that length fits until one fits once snapped (a start before a long weekend lengthens it),
the delays of calendar transfers counted on their channel's activity clock
(`Calendar.advance`: fast through nights, weekends and holidays), so that their payments
fall where the calendar puts that channel's payments. A scenario without
calendar timing is laid out exactly as before calendar timing existed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from graph_schema.dsl import Delay, Scenario, parts_of
from graph_schema.enums import DelayDist
from graph_schema.errors import ScenarioError

Event = tuple[int, int, int, int]  # (seconds, transfer index, repeat, part)
DEFAULT_GAP = Delay(dist=DelayDist.UNIFORM, low=1.0, high=12.0)
PLACING_DRAWS = 8  # uniform starts tried for a calendar- or ride-timed operation before the fallback
PLACING_TRIES = 3  # how often a calendar-timed operation that overruns is moved earlier
SNAP_MARGIN = 1.25  # room left for a calendar-timed operation: its snapped length times this


def sample_delay(d: Delay, rng: np.random.Generator) -> float:
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


def lay_out(s: Scenario, order: list[int], delay: Callable[[Delay], float],
            advance: Callable[[int, float, float], float] | None = None,
            ride: Callable[[int, int, int, float], float] | None = None) -> list[Event]:
    """Every occurrence as (seconds after the operation starts, transfer index, repeat,
    part), sorted by time. ``advance(transfer index, seconds, delay)`` moves the clock of
    calendar transfers on by a delay in their channel's activity time; ``ride(transfer
    index, repeat, part, seconds)`` moves an occurrence of a ride transfer to the payment
    that carries it."""
    last: dict[int, int] = {}
    index = {t.id: i for i, t in enumerate(s.transfers)}
    events = []
    for rank, i in enumerate(order):
        t = s.transfers[i]
        warp = advance is not None and t.timing.calendar

        def step(clock: float, d: float, i=i, warp=warp) -> float:
            return advance(i, clock, d) if warp else clock + d
        after = [last[index[a]] for a in t.timing.after]
        base = max(after) + 60 if after else 0
        clock = step(base, delay(t.timing.delay))
        gap = t.timing.every or DEFAULT_GAP
        for r in range(t.timing.repeats):
            for k in range(parts_of(t.amount)):
                if r or k:
                    clock = step(clock, max(60.0, delay(gap)))
                if ride is not None and t.ride:
                    clock = ride(i, r, k, clock)
                events.append((int(clock // 60) * 60, i, r, k, rank))
        last[i] = events[-1][0]
    events.sort(key=lambda e: (e[0], e[4], e[2], e[3]))
    return [e[:4] for e in events]


def _past_horizon(s: Scenario, events: list[Event]) -> Event | None:
    """The first occurrence after the operation's horizon, or None."""
    horizon = int(s.horizon_days * 86_400)
    return next((e for e in events if e[0] > horizon), None)


def _check_horizon(s: Scenario, events: list[Event]) -> None:
    if (late := _past_horizon(s, events)) is not None:
        t, i = late[0], late[1]
        raise ScenarioError(f"transfers[{i}].timing", f"this transfer happens on day "
                            f"{t / 86_400:.1f} of the operation, outside the horizon of "
                            f"{s.horizon_days:g} days; shorten delays or repeats")


def _snapped(s: Scenario, order: list[int], draws: list[float], start: int,
             advance_at: Callable[[int, int, float], float] | None, rides=None,
             tails: dict[int, int] | None = None) -> list[Event]:
    """The layout again with the recorded delay draws, calendar transfers on their channel's
    activity clock and ride transfers on the payments that carry them."""
    replay = iter(draws)
    advance = None if advance_at is None else (lambda i, clock, d: advance_at(i, start + clock, d) - start)
    ride = None
    if rides is not None:
        rides.reset(start, tails)
        ride = lambda i, r, k, clock: rides.at(i, r, k, start + clock) - start  # noqa: E731
    return lay_out(s, order, lambda _d: next(replay), advance, ride)


def place(s: Scenario, order: list[int], rng: np.random.Generator, first: int, end: int, where: str,
          snap_at: Callable[[int, float, float], float] | None = None, rides=None) -> list[Event]:
    """The occurrences at absolute times (epoch seconds) inside [``first``, ``end``): laid out,
    checked against the horizon and the period (``where`` names it in errors), placed
    uniformly by the operation's actual length, or (calendar or ride timing) laid out again
    at starts drawn uniformly until one fits, with ``snap_at(transfer index, epoch seconds,
    delay seconds)`` advancing the clock of calendar transfers and ``rides.at(transfer index,
    repeat, part, epoch seconds)`` moving ride occurrences onto the payments that carry them.

    Raises:
        ScenarioError: an occurrence falls outside the horizon, or the operation does not fit.
    """
    draws: list[float] = []

    def record(d: Delay) -> float:
        draws.append(sample_delay(d, rng))
        return draws[-1]

    events = lay_out(s, order, record)
    _check_horizon(s, events)
    span, length = end - first, (events[-1][0] if events else 0)
    if length > span - 60:
        raise ScenarioError(f"transfers[{events[-1][1]}].timing",
                            f"the operation lasts {length / 86_400:.1f} days, longer than {where} of "
                            f"{span / 86_400:g} days; shorten delays or repeats")
    # Placed uniformly in the period by its actual length (not its horizon), so that
    # laundering is spread over the whole period, as in AMLworld.
    start = first + 60 * int(rng.integers(0, (span - 60 - length) // 60 + 1))
    calendar = snap_at is not None and any(t.timing.calendar for t in s.transfers)
    if not calendar and rides is None:
        return [(t + start, i, r, k) for t, i, r, k in events]
    return _place_snapped(s, order, draws, rng, first, end, where, events,
                          snap_at if calendar else None, rides)


def _place_snapped(s: Scenario, order: list[int], draws: list[float], rng: np.random.Generator,
                   first: int, end: int, where: str, events: list[Event], snap_at, rides) -> list[Event]:
    """`place` for an operation with calendar or ride timing (``events``: its layout with
    ``draws``, unsnapped; ``snap_at`` None without calendar timing): its start drawn uniformly
    among those at which its snapped layout fits, else by its snapped length at ``first`` with
    a margin and moved earlier."""
    span, length = end - first, events[-1][0]
    # snapping lengthens the operation: learn by how much at the earliest start
    # what follows each transfer's last occurrence, laid out on the calendar without rides
    plain = _snapped(s, order, draws, first, snap_at) if snap_at is not None else events
    tails = {i: int((plain[-1][0] - t) * SNAP_MARGIN) for t, i, _, _ in plain}
    snapped = _snapped(s, order, draws, first, snap_at, rides, tails)[-1][0]

    def lay(start: int) -> list[Event]:
        events = _snapped(s, order, draws, start, snap_at, rides, tails)
        return rides.made(events) if rides is not None else events

    # uniform over the starts at which it fits (as an operation without the calendar is):
    # starts drawn where its shorter length fits, the first whose snapped layout fits (its
    # horizon too: another start meets other weekends) kept
    reach = max(0, span - 60 - min(length, snapped))
    for _ in range(PLACING_DRAWS):
        start = first + 60 * int(rng.integers(0, reach // 60 + 1))
        events = lay(start)
        if _past_horizon(s, events) is None and start + events[-1][0] <= end - 60:
            return [(t + start, i, r, k) for t, i, r, k in events]
    # else placed by its length at the earliest start, with a margin, and moved earlier
    room = max(0, span - 60 - int(snapped * SNAP_MARGIN))
    start = first + 60 * int(rng.integers(0, room // 60 + 1))
    # rides move with the start (other payments carry them): they get one more try, at the first minute
    for attempt in range(PLACING_TRIES + (rides is not None)):
        if attempt == PLACING_TRIES:
            start = first
        events = lay(start)
        _check_horizon(s, events)
        over = start + events[-1][0] - (end - 60)
        if over <= 0:
            return [(t + start, i, r, k) for t, i, r, k in events]
        if start == first:
            break
        start = max(first, start - over)
    how = "calendar" if rides is None else "calendar or ride"
    raise ScenarioError(f"transfers[{events[-1][1]}].timing", f"with {how} timing the operation runs past "
                        f"the end of {where}; shorten delays or repeats")


__all__ = ["DEFAULT_GAP", "Event", "lay_out", "parts_of", "place", "sample_delay"]
