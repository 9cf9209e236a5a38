"""The one calendar of a World: time of day, day of week, public holidays and month ends.

Every flow of the background economy draws its days (`day_weights`, `sample`) and hours
(`at_day`) from it, by the style of the activity (retail, social, business, batch, branch);
laundering with `calendar` timing runs on the same calendar (`advance`)."""

from __future__ import annotations

import datetime as dt
from functools import cached_property

import numpy as np

# Relative intensity per hour of day (0-23), one profile per kind of activity.
HOURS = {
    "retail": np.array([1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 2, 3, 4, 5, 6, 7, 6, 5, 5, 6, 7, 8, 8, 7, 5, 3, 2]),
    "social": np.array([2, 1, 0.5, 0.3, 0.3, 0.4, 1, 2, 2, 3, 3, 4, 5, 4, 4, 4, 5, 6, 7, 8, 8, 7, 5, 3]),
    "business": np.array(
        [0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 2, 6, 8, 8, 7, 5, 7, 8, 8, 6, 3, 1, 0.5, 0.3, 0.2, 0.2, 0.2]
    ),
    "batch": np.array(
        [6, 8, 8, 6, 4, 3, 2, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.3, 0.3, 0.3, 0.3, 0.5, 2]
    ),
    "branch": np.array(
        [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.3, 1, 3, 6, 7, 7, 6, 6, 6, 6, 5, 3, 1, 0.5, 0.3, 0.2, 0.1, 0.1]
    ),
}
# Relative intensity per weekday, Monday first.
WEEK = {
    "retail": np.array([1.0, 1.0, 1.0, 1.05, 1.2, 1.3, 0.9]),
    "social": np.array([0.9, 0.9, 0.9, 1.0, 1.2, 1.4, 1.2]),
    "business": np.array([1.1, 1.1, 1.1, 1.1, 1.0, 0.15, 0.08]),
    "batch": np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.2, 0.1]),
    "branch": np.array([1.0, 1.0, 1.0, 1.0, 1.1, 0.6, 0.05]),
}


# The calendar style of each payment format: when legitimate payments of that kind are made.
CHANNEL_STYLE = {"Wire": "business", "ACH": "business", "Cheque": "business", "Credit Card": "retail",
                 "Cash": "branch", "Bitcoin": "social", "Reinvestment": "batch"}
# Styles that stop on public holidays (banks and businesses closed), and how much is left.
CLOSED_ON_HOLIDAYS = {"business": 0.1, "branch": 0.05, "batch": 0.2}
# Styles with a month-end peak (payroll, supplier runs, sweeps): the factor on the last two
# business days of a month.
MONTH_END = {"business": 1.6, "batch": 1.8}


def holidays(year: int) -> set[dt.date]:
    """US federal holidays of ``year`` (AMLworld's banks are dollar-centred), observed dates."""
    def nth(month: int, weekday: int, n: int) -> dt.date:  # n-th weekday of the month; n = -1: last
        if n > 0:
            d = dt.date(year, month, 1)
            return d + dt.timedelta(days=(weekday - d.weekday()) % 7 + 7 * (n - 1))
        d = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
        return d - dt.timedelta(days=(d.weekday() - weekday) % 7)

    def observed(d: dt.date) -> dt.date:
        return d + dt.timedelta(days={5: -1, 6: 1}.get(d.weekday(), 0))

    fixed = [dt.date(year, 1, 1), dt.date(year, 6, 19), dt.date(year, 7, 4), dt.date(year, 11, 11),
             dt.date(year, 12, 25)]
    return {*(observed(d) for d in fixed), nth(1, 0, 3), nth(2, 0, 3), nth(5, 0, -1), nth(9, 0, 1),
            nth(10, 0, 2), nth(11, 3, 4)}


class Calendar:
    """Day-level structure of ``days`` days from ``start``."""

    def __init__(self, start: dt.date, days: int):
        self.start = start
        self.days = days
        dates = [start + dt.timedelta(days=d) for d in range(days)]
        self.weekday = np.array([d.weekday() for d in dates])
        self.dom = np.array([d.day for d in dates])
        self.month = np.array([(d.year - start.year) * 12 + d.month - start.month for d in dates])
        self._slots: dict[str, np.ndarray] = {}
        self._clocks: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    @cached_property
    def holiday(self) -> np.ndarray:
        """Per day: is it a public holiday?"""
        years = {self.start.year + y for y in range((self.days // 365) + 2)}
        hol = set().union(*(holidays(y) for y in years))
        return np.array([(self.start + dt.timedelta(days=int(d))) in hol for d in range(self.days)])

    @cached_property
    def month_end(self) -> np.ndarray:
        """Per day: is it one of the last two business days of its month?"""
        out = np.zeros(self.days, dtype=bool)
        open_ = (self.weekday < 5) & ~self.holiday
        for m in np.unique(self.month):
            days = np.flatnonzero((self.month == m) & open_)
            last = days[-2:] if len(days) else days
            # only a month that ends inside the period has a month end in it
            if len(days) and (self.start + dt.timedelta(days=int(days[-1]) + 3)).month != \
                    (self.start + dt.timedelta(days=int(days[-1]))).month:
                out[last] = True
        return out

    def slot_weights(self, style: str) -> np.ndarray:
        """Relative intensity of every hour of the period (days x 24) for an activity of this
        style: weekday and hour profile, public holidays, month ends."""
        if style not in self._slots:
            self._slots[style] = self._slot_weights(style)
        return self._slots[style]

    def _slot_weights(self, style: str) -> np.ndarray:
        return self._day(style)[:, None] * HOURS[style][None, :].astype(np.float64)

    def advance(self, offset: float, seconds: float, style: str) -> float:
        """``offset`` (seconds from the start) moved on by ``seconds`` of the style's activity
        time: the clock runs at the style's intensity over its mean intensity, fast through
        nights, weekends and holidays and slow through busy hours, so that events spaced by
        random delays on this clock fall where the style's payments fall (their density is
        the calendar's intensity). Beyond the period the clock runs at the mean rate."""
        if style not in self._clocks:
            r = self.slot_weights(style).ravel()
            r = r / r.mean()
            self._clocks[style] = (r, np.concatenate([[0.0], np.cumsum(r)]))
        rate, clock = self._clocks[style]  # clock: activity hours elapsed at each hour boundary
        n = len(rate)
        h0 = offset / 3_600.0
        x = (clock[min(int(h0), n)] + (h0 - int(h0)) * rate[int(h0)] if h0 < n else clock[n] + h0 - n)
        x += seconds / 3_600.0
        if x >= clock[n]:
            return (n + x - clock[n]) * 3_600.0
        h = int(np.searchsorted(clock, x, side="right")) - 1
        return (h + (x - clock[h]) / rate[h]) * 3_600.0

    def day_weights(self, style: str, payday_boost: float = 0.0) -> np.ndarray:
        """Probability of each day for an activity of this style.

        ``payday_boost`` raises the days right after the 1st and the 15th (monthly cycle).
        """
        w = self._day(style)
        if payday_boost:
            w = w * (1 + payday_boost * np.isin(self.dom, [1, 2, 3, 15, 16, 17]))
        return w / w.sum()

    def _day(self, style: str) -> np.ndarray:
        """Relative intensity of each day: weekday profile, public holidays, month ends."""
        day = WEEK[style][self.weekday].astype(np.float64)
        day = np.where(self.holiday, day * CLOSED_ON_HOLIDAYS.get(style, 1.0), day)
        return np.where(self.month_end, day * MONTH_END.get(style, 1.0), day)

    def sample(self, rng: np.random.Generator, n: int, style: str, payday_boost: float = 0.0) -> np.ndarray:
        """``n`` offsets in seconds from the start, following the style's day and hour weights."""
        day = rng.choice(self.days, size=n, p=self.day_weights(style, payday_boost))
        return self.at_day(rng, day, style)

    def at_day(self, rng: np.random.Generator, day: np.ndarray, style: str) -> np.ndarray:
        """Offsets in seconds for events on given day indices, at the style's hours."""
        h = HOURS[style] / HOURS[style].sum()
        hour = rng.choice(24, size=len(day), p=h)
        minute = rng.integers(0, 60, size=len(day))
        return day.astype(np.int64) * 86_400 + hour * 3_600 + minute * 60

    def monthly(self, due_dom: np.ndarray, jitter_days: int, rng: np.random.Generator):
        """Occurrences of a monthly event due on ``due_dom`` for each item.

        Returns (item index, day index) for every occurrence inside the period; due days
        beyond a month's length fall on its last day, and payment may lag by up to
        ``jitter_days``.
        """
        items, days = [], []
        for m in np.unique(self.month):
            in_month = np.flatnonzero(self.month == m)
            first_day = in_month[0] - (self.dom[in_month[0]] - 1)  # may be negative
            month_len = _month_length(self.start, int(m))
            day = first_day + np.minimum(due_dom, month_len) - 1
            if jitter_days:
                day = day + rng.integers(0, jitter_days + 1, size=len(due_dom))
            ok = (day >= 0) & (day < self.days)
            items.append(np.flatnonzero(ok))
            days.append(day[ok])
        return np.concatenate(items), np.concatenate(days)


def _month_length(start: dt.date, m: int) -> int:
    y, mo = divmod(start.month - 1 + m, 12)
    first = dt.date(start.year + y, mo + 1, 1)
    nxt = dt.date(first.year + (first.month // 12), first.month % 12 + 1, 1)
    return (nxt - first).days
