"""The Elo tournament: ratings, idempotent match ids, and rank stability."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from agents.models import Winner

_SCORE = {Winner.A: 1.0, Winner.B: 0.0, Winner.TIE: 0.5}


def match_id(a: str, b: str, round_: int) -> str:
    """Id of the match of scenarios ``a`` and ``b`` in ``round_``: a replay never double-counts."""
    lo, hi = sorted((a, b))
    return hashlib.sha256(f"match/{lo}/{hi}/{round_}".encode()).hexdigest()[:16]


def expected(ra: float, rb: float) -> float:
    """Probability that a player rated ``ra`` beats one rated ``rb``."""
    return 1.0 / (1.0 + 10 ** ((rb - ra) / 400))


@dataclass
class EloTable:
    """Ratings by scenario id; unseen ids start at ``initial``."""

    initial: float = 1200.0
    k: float = 32.0
    ratings: dict[str, float] = field(default_factory=dict)
    games: dict[str, int] = field(default_factory=dict)

    def rating(self, sid: str) -> float:
        return self.ratings.get(sid, self.initial)

    def play(self, a: str, b: str, winner: Winner) -> tuple[float, float]:
        """Apply one match; returns the new ratings of ``a`` and ``b``."""
        ra, rb = self.rating(a), self.rating(b)
        ea, sa = expected(ra, rb), _SCORE[winner]
        self.ratings[a] = ra + self.k * (sa - ea)
        self.ratings[b] = rb + self.k * ((1 - sa) - (1 - ea))
        for s in (a, b):
            self.games[s] = self.games.get(s, 0) + 1
        return self.ratings[a], self.ratings[b]

    def top(self, k: int) -> list[str]:
        return [s for s, _ in sorted(self.ratings.items(), key=lambda x: (-x[1], x[0]))[:k]]


__all__ = ["EloTable", "expected", "match_id"]
