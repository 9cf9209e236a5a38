"""Time of day, day of week and month structure of the simulated period."""

from __future__ import annotations

import datetime as dt

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


class Calendar:
    """Day-level structure of ``days`` days from ``start``."""

    def __init__(self, start: dt.date, days: int):
        self.start = start
        self.days = days
        dates = [start + dt.timedelta(days=d) for d in range(days)]
        self.weekday = np.array([d.weekday() for d in dates])
        self.dom = np.array([d.day for d in dates])
        self.month = np.array([(d.year - start.year) * 12 + d.month - start.month for d in dates])

    def day_weights(self, style: str, payday_boost: float = 0.0) -> np.ndarray:
        """Probability of each day for an activity of this style.

        ``payday_boost`` raises the days right after the 1st and the 15th (monthly cycle).
        """
        w = WEEK[style][self.weekday].astype(np.float64)
        if payday_boost:
            w *= 1 + payday_boost * np.isin(self.dom, [1, 2, 3, 15, 16, 17])
        return w / w.sum()

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
