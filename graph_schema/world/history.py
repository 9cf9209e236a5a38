"""The legitimate payment amounts of a World, by payer and by profile, in US dollars: what
`mimic` amounts are drawn from, so that laundering can be sized like the accounts' own
behaviour instead of giving itself away by its amounts."""

from __future__ import annotations

import numpy as np

from graph_schema.reference import usd_per_unit
from graph_schema.tables import CHANNELS, CURRENCIES, dictionary_codes

PROFILE_SAMPLE = 20_000  # payments kept per (profile, channel): enough for any quantile we draw


def human_unit(x: np.ndarray) -> np.ndarray:
    """The smallest 'human' unit of an amount's scale (10 for hundreds, 100 for thousands):
    the World rounds some payments to 1, 5 or 10 of it (`behaviours.roundify`)."""
    return 10.0 ** np.maximum(np.floor(np.log10(np.maximum(x, 1.0))) - 1, 0)


def is_round(x: np.ndarray) -> np.ndarray:
    """Whether each amount is a whole number of its scale's `human_unit` (to the cent)."""
    x = np.asarray(x, dtype=np.float64)
    return np.round(x * 100).astype(np.int64) % np.round(human_unit(x) * 100).astype(np.int64) == 0


class PaymentHistory:
    """Legitimate (unlabelled) payments of a ledger grouped by payer.

    Args:
        ledger: a ledger table (only ``is_laundering`` = False rows are used).
        profile_codes: each account's profile code (indices into PROFILES).
    """

    def __init__(self, ledger, profile_codes: np.ndarray):
        keep = ~ledger.column("is_laundering").to_numpy(zero_copy_only=False)
        src = ledger.column("src_account").to_numpy()[keep]
        codes = dictionary_codes(ledger.column("payment_currency"), CURRENCIES)[keep]
        local = ledger.column("amount_paid").to_numpy()[keep]
        usd = local * usd_per_unit()[codes]
        channel = dictionary_codes(ledger.column("channel"), CHANNELS)[keep]
        order = np.argsort(src, kind="stable")
        self.src, self.channel, self.usd = src[order], channel[order], usd[order]
        self.rounded = is_round(local)[order]
        self.profile_codes = profile_codes
        self._by_profile: dict[tuple[int, int], np.ndarray] = {}
        self._channels_of_profile: dict[int, np.ndarray] = {}

    def _of_account(self, account: int, channel: int) -> np.ndarray:
        lo, hi = np.searchsorted(self.src, [account, account + 1])
        on = lo + np.flatnonzero(self.channel[lo:hi] == channel)
        return on if len(on) else np.arange(lo, hi)

    def _of_profile(self, profile: int, channel: int) -> np.ndarray:
        key = (profile, channel)
        if key not in self._by_profile:
            payer = self.profile_codes[self.src] == profile if len(self.src) else np.zeros(0, bool)
            on = payer & (self.channel == channel)
            pick = np.flatnonzero(on if on.any() else payer)
            if len(pick) > PROFILE_SAMPLE:  # evenly spaced: deterministic, and spread over payers
                pick = pick[np.linspace(0, len(pick) - 1, PROFILE_SAMPLE).astype(np.int64)]
            self._by_profile[key] = pick
        return self._by_profile[key]

    def of_account(self, account: int, channel: int) -> np.ndarray:
        """The account's legitimate payments on ``channel`` in USD (all its payments if it made
        none on that channel; empty if it made none at all)."""
        return self.usd[self._of_account(account, channel)]

    def of_profile(self, profile: int, channel: int) -> np.ndarray:
        """Payments on ``channel`` by accounts of ``profile`` (a fixed sample), in USD; all
        their payments if none is on that channel; empty if the profile made none."""
        return self.usd[self._of_profile(profile, channel)]

    def round_share(self, account: int, profile: int, channel: int) -> float:
        """Share of the payments `of_account` (``account`` >= 0 with payments), else
        `of_profile`, that are round sums in the currency they were paid in (`is_round`); 0
        when there are none."""
        pick = self._of_account(account, channel) if account >= 0 else np.zeros(0, np.int64)
        if not len(pick):
            pick = self._of_profile(profile, channel)
        return float(self.rounded[pick].mean()) if len(pick) else 0.0

    def channel_counts(self, account: int) -> np.ndarray:
        """How many legitimate payments the account made on each channel (indexed like CHANNELS)."""
        lo, hi = np.searchsorted(self.src, [account, account + 1])
        return np.bincount(self.channel[lo:hi], minlength=len(CHANNELS))

    def profile_channel_counts(self, profile: int) -> np.ndarray:
        """How many legitimate payments accounts of ``profile`` made on each channel."""
        if profile not in self._channels_of_profile:
            payer = self.profile_codes[self.src] == profile if len(self.src) else np.zeros(0, bool)
            self._channels_of_profile[profile] = np.bincount(self.channel[payer], minlength=len(CHANNELS))
        return self._channels_of_profile[profile]


__all__ = ["PaymentHistory", "human_unit", "is_round"]
