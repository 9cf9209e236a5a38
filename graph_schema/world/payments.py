"""The legitimate payments of a World by payer, payee and channel: what a `ride` transfer is
carried by (commingling: the operation's money moves inside payments the accounts make
anyway, so no payment is added)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from graph_schema.tables import CHANNELS, dictionary_codes

_CH = len(CHANNELS)


class Payments:
    """Background payments of a ledger (rows of no scenario) sorted by payer, channel, payee
    and time.

    Args:
        ledger: a ledger table; rows that belong to a scenario (camouflage included) are left out.
        n_accounts: the World's number of accounts (payer and payee ids are below it).
    """

    def __init__(self, ledger: pa.Table, n_accounts: int):
        sid = ledger.column("scenario_id")
        keep = ~np.asarray(sid.is_valid()) if sid.null_count < len(sid) else np.ones(len(sid), bool)
        src = ledger.column("src_account").to_numpy()[keep].astype(np.int64)
        dst = ledger.column("dst_account").to_numpy()[keep].astype(np.int64)
        ch = dictionary_codes(ledger.column("channel"), CHANNELS)[keep].astype(np.int64)
        t = ledger.column("timestamp").to_numpy().astype("datetime64[s]").view(np.int64)[keep]
        self.n = max(int(n_accounts), 1)
        self.key = (src * _CH + ch) * self.n + dst
        order = np.lexsort((t, self.key))
        self.key, self.time = self.key[order], t[order]
        self.row = np.flatnonzero(keep)[order]  # position in the ledger
        self._by_payee = np.sort((dst * _CH + ch) * self.n + src)  # who pays whom, seen from the payee
        self._degrees: dict[tuple[int, bool], np.ndarray] = {}

    def payees(self, payer: int, channel: int) -> tuple[np.ndarray, np.ndarray]:
        """The accounts ``payer`` pays on ``channel`` and how many payments each got (by id)."""
        base = (payer * _CH + channel) * self.n
        lo, hi = np.searchsorted(self.key, [base, base + self.n])
        ids, counts = np.unique(self.key[lo:hi] - base, return_counts=True)
        return ids, counts

    def degree(self, channel: int, of_payee: bool) -> np.ndarray:
        """For every account, how many distinct accounts pay it (``of_payee``) or it pays on
        ``channel``."""
        key = (channel, of_payee)
        if key not in self._degrees:
            keys = self._by_payee if of_payee else self.key
            pair = np.unique(keys[(keys // self.n) % _CH == channel])
            self._degrees[key] = np.bincount(pair // self.n // _CH, minlength=self.n)
        return self._degrees[key]

    def payers(self, payee: int, channel: int) -> tuple[np.ndarray, np.ndarray]:
        """The accounts that pay ``payee`` on ``channel`` and how many payments each made (by id)."""
        base = (payee * _CH + channel) * self.n
        lo, hi = np.searchsorted(self._by_payee, [base, base + self.n])
        ids, counts = np.unique(self._by_payee[lo:hi] - base, return_counts=True)
        return ids, counts

    def next_payment(self, payer: int, payee: int, channel: int, at: int, claimed: set[int]) -> int:
        """Index (into this index's arrays) of the first payment of ``payer`` to ``payee`` on
        ``channel`` at or after ``at`` (epoch seconds) whose index is not in ``claimed``; -1 if none."""
        k = (payer * _CH + channel) * self.n + payee
        lo, hi = np.searchsorted(self.key, [k, k + 1])
        j = lo + int(np.searchsorted(self.time[lo:hi], at))
        while j < hi and j in claimed:
            j += 1
        return j if j < hi else -1


__all__ = ["Payments"]
