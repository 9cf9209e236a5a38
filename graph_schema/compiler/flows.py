"""What a compiled scenario achieves with its money, and how long it can take.

`integrated_funds` follows the illicit funds through the compiled rows in time order and
measures how much of what was placed reaches an *endpoint* (an entity whose role is an
endpoint role, e.g. the beneficiary, or the originator when the money comes back to it)
or leaves through an *integration exit* (a payment of an exit purpose, e.g. a purchase,
to an entity that does not pass the money on). Money that stays with intermediaries
(their cut, fees) or is still in transit when the operation ends is not integrated.

Accounts mix what they hold: a payment carries integrated money in the proportion its
payer holds, so money counted once is never counted again.

`timing_bound_hours` is a high quantile of the operation's length, from its timing
structure alone, for operators that must keep delays inside the horizon.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from graph_schema.compiler.checks import check_structure
from graph_schema.dsl import Delay, Scenario, parts_of
from graph_schema.enums import DelayDist, Purpose, Role

DEFAULT_ENDPOINTS = (Role.BENEFICIARY, Role.COLLECTOR, Role.ORIGINATOR)
DEFAULT_EXITS = (Purpose.PURCHASE, Purpose.INVESTMENT)
_LOGNORMAL_SIGMA = 0.75  # the compiler's lognormal shape


def integrated_funds(compiled, endpoints: Iterable[Role | str] = DEFAULT_ENDPOINTS,
                     exits: Iterable[Purpose | str] = DEFAULT_EXITS) -> float:
    """Funds (in the scenario's base currency) that reach an endpoint or an integration exit.

    Args:
        compiled: a `CompiledScenario` (its rows are in time order).
        endpoints: roles whose entities are where laundered money is meant to arrive.
        exits: purposes that integrate the money when paid to an entity that never pays on.
    """
    s: Scenario = compiled.scenario
    ends = {Role(r) for r in endpoints}
    exit_ps = {Purpose(p) for p in exits}
    role = {e.id: e.role for e in s.entities}
    payers = {t.src for t in s.transfers if t.purpose is not Purpose.CAMOUFLAGE and t.src != t.dst}
    funded = [e.id for e in s.entities if e.initial_funds]
    balance = {e.id: (s.funds_placed / len(funded) if e.initial_funds else 0.0) for e in s.entities}
    clean = dict.fromkeys(balance, 0.0)  # the integrated part of each balance
    for i, amount in zip(compiled.transfer_index.tolist(), compiled.base_amounts.tolist(), strict=True):
        t = s.transfers[i]
        if t.purpose is Purpose.CAMOUFLAGE or t.src == t.dst:
            continue
        held = balance[t.src]
        carried = min(clean[t.src], amount * clean[t.src] / held) if held > 0 else 0.0
        balance[t.src] -= amount
        clean[t.src] -= carried
        balance[t.dst] += amount
        arrives = role[t.dst] in ends or (t.purpose in exit_ps and t.dst not in payers)
        clean[t.dst] += amount if arrives else carried
    return float(sum(clean.values()))


def _moments_h(d: Delay | None) -> tuple[float, float]:
    """Mean and variance of a delay in hours (None: the compiler's default 1-12 h gap)."""
    if d is None:
        return 6.5, 11**2 / 12
    if d.dist is DelayDist.FIXED:
        return d.low, 0.0
    if d.dist is DelayDist.UNIFORM:
        hi = max(d.low, d.high)
        return (d.low + hi) / 2, (hi - d.low) ** 2 / 12
    if d.dist is DelayDist.EXPONENTIAL:
        return d.low + d.high, d.high**2
    return d.low + d.high, (math.exp(_LOGNORMAL_SIGMA**2) - 1) * d.high**2


CALENDAR_STRETCH_H = 96.0  # the longest quiet stretch of a business calendar: a long weekend


def timing_bound_hours(s: Scenario, z: float = 3.0) -> float:
    """A high quantile of the operation's length in hours, from its timing alone.

    Along every chain of `after`, the delays (and one gap per further repeat or split
    part) add up; each chain's length is taken as its mean plus ``z`` standard
    deviations, and the longest chain is the bound. With z = 3 a single exponential
    delay is covered to 98%, a sum of several to more. A chain with `calendar` timing runs
    on its channel's activity clock, which passes quiet stretches (a weekend and a holiday)
    quickly in activity time but not in real time: it gets `CALENDAR_STRETCH_H` more.

    Raises:
        ScenarioError: the timing has a cycle or names an unknown transfer.
    """
    order = check_structure(s)
    index = {t.id: i for i, t in enumerate(s.transfers)}
    end: dict[int, tuple[float, float]] = {}
    calendar: dict[int, bool] = {i: False for i in range(len(s.transfers))}

    def q(m: tuple[float, float]) -> float:
        return m[0] + z * math.sqrt(m[1])

    for i in order:
        t = s.transfers[i]
        prev = max((end[index[a]] for a in t.timing.after), key=q, default=(0.0, 0.0))
        mean, var = prev[0] + (1 / 60 if t.timing.after else 0.0), prev[1]
        dm, dv = _moments_h(t.timing.delay)
        gm, gv = _moments_h(t.timing.every)
        extra = t.timing.repeats * parts_of(t.amount) - 1
        end[i] = (mean + dm + extra * max(gm, 1 / 60), var + dv + extra * gv)
        inherited = any(calendar[index[a]] for a in t.timing.after)
        if t.timing.calendar and not inherited:  # the first calendar hop on this chain
            end[i] = (end[i][0] + CALENDAR_STRETCH_H, end[i][1])
        calendar[i] = t.timing.calendar or inherited
    return max((q(m) for m in end.values()), default=0.0)


__all__ = ["DEFAULT_ENDPOINTS", "DEFAULT_EXITS", "integrated_funds", "timing_bound_hours"]
