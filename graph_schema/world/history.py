"""The legitimate payment amounts of a World, by payer and by profile, in US dollars: what
`mimic` amounts are drawn from, so that laundering can be sized like the accounts' own
behaviour instead of giving itself away by its amounts."""

from __future__ import annotations

import numpy as np

from graph_schema.reference import usd_per_unit
from graph_schema.tables import CHANNELS, CURRENCIES, dictionary_codes

PROFILE_SAMPLE = 20_000  # payments kept per (profile, channel): enough for any quantile we draw


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
        usd = ledger.column("amount_paid").to_numpy()[keep] * usd_per_unit()[codes]
        channel = dictionary_codes(ledger.column("channel"), CHANNELS)[keep]
        order = np.argsort(src, kind="stable")
        self.src, self.channel, self.usd = src[order], channel[order], usd[order]
        self.profile_codes = profile_codes
        self._by_profile: dict[tuple[int, int], np.ndarray] = {}
        self._channels_of_profile: dict[int, np.ndarray] = {}

    def of_account(self, account: int, channel: int) -> np.ndarray:
        """The account's legitimate payments on ``channel`` in USD (all its payments if it made
        none on that channel; empty if it made none at all)."""
        lo, hi = np.searchsorted(self.src, [account, account + 1])
        usd, ch = self.usd[lo:hi], self.channel[lo:hi]
        on = usd[ch == channel]
        return on if len(on) else usd

    def of_profile(self, profile: int, channel: int) -> np.ndarray:
        """Payments on ``channel`` by accounts of ``profile`` (a fixed sample), in USD; all
        their payments if none is on that channel; empty if the profile made none."""
        key = (profile, channel)
        if key not in self._by_profile:
            payer = self.profile_codes[self.src] == profile if len(self.src) else np.zeros(0, bool)
            on = payer & (self.channel == channel)
            pick = np.flatnonzero(on if on.any() else payer)
            if len(pick) > PROFILE_SAMPLE:  # evenly spaced: deterministic, and spread over payers
                pick = pick[np.linspace(0, len(pick) - 1, PROFILE_SAMPLE).astype(np.int64)]
            self._by_profile[key] = self.usd[pick]
        return self._by_profile[key]

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


__all__ = ["PaymentHistory"]
