"""Background statistics of a World, computed once, that the realism checks compare with.

Laundering rows already in the World are left out, so that the standard is the honest
economy. Amounts are compared in US dollars on a log10 scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graph_schema.enums import EntityKind, Profile
from graph_schema.reference import usd_per_unit
from graph_schema.tables import CHANNELS, CURRENCIES, PROFILES, dictionary_codes

# The background profile a newly opened account of each kind is compared with.
KIND_PROFILE = {
    EntityKind.PERSON: Profile.SALARIED,
    EntityKind.BUSINESS: Profile.SMALL_BUSINESS,
    EntityKind.SHELL_COMPANY: Profile.SMALL_BUSINESS,
    EntityKind.MONEY_SERVICE: Profile.MONEY_SERVICE,
    EntityKind.CRYPTO_EXCHANGE: Profile.CRYPTO_EXCHANGE,
    EntityKind.CASH: Profile.CASH_DESK,
}
QUANTILES = (0.005, 0.01, 0.05, 0.5, 0.95, 0.99, 0.995)
_MIN_GROUP = 30  # fewer rows than this: fall back to the channel over all profiles


def hour_weekday(ts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hour of day and weekday (Monday = 0) of epoch seconds (UTC)."""
    ts = np.asarray(ts, dtype=np.int64)
    return (ts % 86_400) // 3_600, (ts // 86_400 + 3) % 7


@dataclass
class WorldStats:
    """Per-profile and per-channel statistics of a World's legitimate transactions.

    Attributes:
        amount_q: (profiles, channels, len(QUANTILES)) log10 USD quantiles; NaN = too few rows.
        channel_q: (channels, len(QUANTILES)) the same over all profiles.
        channel_use: (profiles, channels) share of a profile's payments on each channel.
        hour_share: (channels, 24) share of each channel's transactions per hour.
        weekday_share: (channels, 7) share per weekday.
        rate_mu, rate_sd: (profiles,) mean and sd over accounts of log1p(transactions per day).
        amount_mu, amount_sd: (profiles,) the same for an account's mean log10 USD amount.
        monthly_volume: (profiles,) median USD an account pays out per 30 days.
        days: length of the period in days.
        account_profile: profile code of every background account.
        account_n, account_out: per-account transactions (all, outgoing).
        account_logsum: per-account sum of log10 USD of outgoing amounts.
    """

    amount_q: np.ndarray
    channel_q: np.ndarray
    channel_use: np.ndarray
    hour_share: np.ndarray
    weekday_share: np.ndarray
    rate_mu: np.ndarray
    rate_sd: np.ndarray
    amount_mu: np.ndarray
    amount_sd: np.ndarray
    monthly_volume: np.ndarray
    days: float
    account_profile: np.ndarray
    account_n: np.ndarray
    account_out: np.ndarray
    account_logsum: np.ndarray

    def amount_band(self, profile: int, channel: int, lo_q: float, hi_q: float) -> tuple[float, float]:
        """log10 USD band [lo, hi] for a payer profile on a channel."""
        q = self.amount_q[profile, channel]
        if np.isnan(q).any():
            q = self.channel_q[channel]
        if np.isnan(q).any():
            return -np.inf, np.inf
        return float(np.interp(lo_q, QUANTILES, q)), float(np.interp(hi_q, QUANTILES, q))


def world_stats(world) -> WorldStats:
    """Statistics of ``world``'s legitimate transactions (about 1 s per million rows)."""
    led = world.ledger
    keep = ~led.column("is_laundering").to_numpy(zero_copy_only=False)
    src = led.column("src_account").to_numpy()[keep]
    dst = led.column("dst_account").to_numpy()[keep]
    ch = dictionary_codes(led.column("channel"), CHANNELS)[keep]
    cur = dictionary_codes(led.column("payment_currency"), CURRENCIES)[keep]
    usd = led.column("amount_paid").to_numpy()[keep] * usd_per_unit()[cur]
    la = np.log10(np.maximum(usd, 1e-6))
    ts = led.column("timestamp").to_numpy().view(np.int64)[keep]
    n_acc, n_p, n_c = world.n_accounts, len(PROFILES), len(CHANNELS)
    prof_acc = world.profile_codes
    prof = prof_acc[src]
    days = max((world.end_epoch - world.start_epoch) / 86_400, 1.0)

    amount_q = np.full((n_p, n_c, len(QUANTILES)), np.nan)
    key = prof.astype(np.int64) * n_c + ch
    order = np.lexsort((la, key))
    bounds = np.searchsorted(key[order], np.arange(n_p * n_c + 1))
    for k in range(n_p * n_c):
        seg = la[order[bounds[k]:bounds[k + 1]]]
        if len(seg) >= _MIN_GROUP:
            amount_q[k // n_c, k % n_c] = np.quantile(seg, QUANTILES)
    channel_q = np.full((n_c, len(QUANTILES)), np.nan)
    for c in range(n_c):
        seg = la[ch == c]
        if len(seg) >= _MIN_GROUP:
            channel_q[c] = np.quantile(seg, QUANTILES)
    use = np.bincount(key, minlength=n_p * n_c).reshape(n_p, n_c).astype(float)
    use /= np.maximum(use.sum(1, keepdims=True), 1)

    hour, wd = hour_weekday(ts)
    hs = np.bincount(ch * 24 + hour, minlength=n_c * 24).reshape(n_c, 24).astype(float)
    ws = np.bincount(ch * 7 + wd, minlength=n_c * 7).reshape(n_c, 7).astype(float)
    hs /= np.maximum(hs.sum(1, keepdims=True), 1)
    ws /= np.maximum(ws.sum(1, keepdims=True), 1)

    n_out = np.bincount(src, minlength=n_acc).astype(float)
    n_all = n_out + np.bincount(dst, minlength=n_acc)
    logsum = np.bincount(src, weights=la, minlength=n_acc)
    out_usd = np.bincount(src, weights=usd, minlength=n_acc)
    rate = np.log1p(n_all / days)
    mean_amt = np.where(n_out > 0, logsum / np.maximum(n_out, 1), np.nan)
    stats = [_group_stats(prof_acc == p, rate, mean_amt, out_usd * 30 / days) for p in range(n_p)]
    rate_mu, rate_sd, amount_mu, amount_sd, monthly = (np.array(x) for x in zip(*stats, strict=True))
    return WorldStats(amount_q, channel_q, use, hs, ws, rate_mu, rate_sd, amount_mu, amount_sd,
                      monthly, days, prof_acc, n_all, n_out, logsum)


def _group_stats(mask: np.ndarray, rate, mean_amt, monthly):
    if mask.sum() < 5:
        return np.nan, np.nan, np.nan, np.nan, np.nan
    r, a = rate[mask], mean_amt[mask]
    a = a[~np.isnan(a)]
    return (float(r.mean()), float(r.std() + 1e-3),
            float(a.mean()) if len(a) else np.nan, float(a.std() + 1e-3) if len(a) else np.nan,
            float(np.median(monthly[mask])))


__all__ = ["KIND_PROFILE", "QUANTILES", "WorldStats", "hour_weekday", "world_stats"]
