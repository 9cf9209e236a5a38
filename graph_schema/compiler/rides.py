"""`ride` transfers: the operation's money moves inside payments the payer makes anyway
(commingling). An occurrence is carried by the payer's next background payment to the payee
on the transfer's channel; the compiled row is that payment, labelled, and `inject` puts it
in the ledger in the payment's place, so the accounts' behaviour is unchanged by it."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from graph_schema.dsl import Scenario
from graph_schema.reference import convert
from graph_schema.tables import CHANNELS, CURRENCIES, dictionary_codes


class Rides:
    """The payments that carry a scenario's ride occurrences, claimed while it is laid out.

    Args:
        s: the scenario; world: the World it compiles into; account: entity id -> account;
        end: the end of the compile window (epoch seconds), which a carrying payment precedes.
    """

    def __init__(self, s: Scenario, world, account: dict[str, int], end: int):
        self.s, self.world, self.account, self.end = s, world, account, end
        self.pay = world.payments
        self.reset()

    def reset(self, start: int | None = None, tails: dict[int, int] | None = None) -> None:
        """Forget the claims of an earlier layout. The operation now starts at ``start`` (epoch
        seconds); a payment carrying transfer ``i`` leaves ``tails[i]`` seconds of its horizon
        for what comes after it (as long as it took before the rides)."""
        self.claims: dict[tuple[int, int, int], int] = {}
        self.claimed: set[int] = set()
        self.start, self.tails = start, tails or {}

    def _limit(self, i: int) -> int:
        if self.start is None:
            return self.end - 60
        return min(self.end - 60, self.start + int(self.s.horizon_days * 86_400) - self.tails.get(i, 0))

    def at(self, i: int, r: int, k: int, when: float) -> float:
        """Claim the payment that carries occurrence (``i``, ``r``, ``k``) at or after ``when``
        and return its time. If the payer makes no such payment before the end of the window
        and of the operation's horizon, the occurrence is not made: ``when`` (never earlier: a
        transfer none of whose occurrences is carried is paid as an ordinary transfer then, after
        what it waits for)."""
        t = self.s.transfers[i]
        j = self.pay.next_payment(self.account[t.src], self.account[t.dst],
                                  CHANNELS.index(t.channel.value), int(np.ceil(when)), self.claimed)
        if j < 0 or int(self.pay.time[j]) > self._limit(i):
            return float(when)
        self.claimed.add(j)
        self.claims[(i, r, k)] = j
        return float(self.pay.time[j])

    def made(self, events: list) -> list:
        """``events`` without the occurrences of riding transfers (those that found a payment to
        ride) that no payment carries: they are not made, wherever the layout put them."""
        riding = {i for i, _r, _k in self.claims}
        return [e for e in events if e[1] not in riding or (e[1], e[2], e[3]) in self.claims]

    def rows(self, events) -> tuple[np.ndarray, pa.Table | None]:
        """For each event, the ledger position of the payment carrying it (-1: not a ride), and
        the ledger rows of those payments in event order."""
        pos = np.array([self.pay.row[self.claims[(i, r, k)]] if (i, r, k) in self.claims else -1
                        for _t, i, r, k in events], dtype=np.int64)
        ride = pos >= 0
        return pos, (self.world.ledger.take(pos[ride]) if ride.any() else None)

    def base_amounts(self, events, carried: pa.Table | None) -> dict[tuple[int, int, int], float]:
        """Each ride occurrence's payment in the scenario's base currency."""
        if carried is None:
            return {}
        keys = [(i, r, k) for _t, i, r, k in events if (i, r, k) in self.claims]
        paid = carried.column("amount_paid").to_numpy()
        cur = dictionary_codes(carried.column("payment_currency"), CURRENCIES)
        base = convert(paid, cur, CURRENCIES.index(self.s.currency.value))
        return dict(zip(keys, base.tolist(), strict=True))


def carried_columns(carried: pa.Table) -> dict[str, np.ndarray]:
    """The carrying payments' own columns (time, banks, amounts, currencies, channel) as codes."""
    out = {c: carried.column(c).to_numpy() for c in ("src_bank", "dst_bank", "amount_paid",
                                                      "amount_received")}
    out["timestamp"] = carried.column("timestamp").to_numpy().astype("datetime64[s]").view(np.int64)
    out["payment_currency"] = dictionary_codes(carried.column("payment_currency"), CURRENCIES)
    out["receiving_currency"] = dictionary_codes(carried.column("receiving_currency"), CURRENCIES)
    out["channel"] = dictionary_codes(carried.column("channel"), CHANNELS)
    return out


__all__ = ["Rides", "carried_columns"]
