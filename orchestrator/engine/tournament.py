"""The Elo tournament: ratings, idempotent match ids, and the rules of a round's matches.

`Tournament.play_round` offers each accepted candidate of a round to the archive (its
cell's incumbent is played to decide the cell) and plays random opponents drawn, by
default, from the same volume band only, so that a small operation never collects Elo from
beating large ones; families kept separate (by default `lone`, single payments) only ever
meet their own family. Elo ratings are comparable within such a pool, not across pools.
The supervisor schedules rounds and owns the store; it hands the tournament a ``judge``
coroutine (stored verdicts are reused there).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import numpy as np

from agents.models import Candidate, Winner
from agents.principles import Principles, utility
from graph_schema.families import family_of
from orchestrator.engine.archive import AddStatus, Archive, signature
from orchestrator.engine.config import TournamentConfig

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

    def play(self, a: str, b: str, winner: Winner, weight: float = 1.0) -> tuple[float, float]:
        """Apply one match (``weight`` times the K-factor); returns the new ratings of ``a`` and ``b``."""
        ra, rb = self.rating(a), self.rating(b)
        ea, sa = expected(ra, rb), _SCORE[winner]
        k = self.k * weight
        self.ratings[a] = ra + k * (sa - ea)
        self.ratings[b] = rb + k * ((1 - sa) - (1 - ea))
        for s in (a, b):
            self.games[s] = self.games.get(s, 0) + 1
        return self.ratings[a], self.ratings[b]

    def top(self, k: int) -> list[str]:
        return [s for s, _ in sorted(self.ratings.items(), key=lambda x: (-x[1], x[0]))[:k]]


Judge = Callable[[int, Candidate, Candidate], Awaitable[Winner | None]]


class Tournament:
    """Archive placement and Elo matches of each round.

    Args:
        cfg: the tournament settings (K-factor, opponents, ``match_within``).
        archive: the run's archive (cells are replaced here).
        principles: the judge principles; an elite's quality is their `utility`.
        seed: the run seed (opponent draws depend on run seed, round and slot only).
        judge: ``await judge(round, a, b)`` -> the winner, or None when the judge failed.
        candidate: scenario id -> the evaluated `Candidate` (archive elites included).
    """

    def __init__(self, cfg: TournamentConfig, archive: Archive, principles: Principles, seed: int,
                 judge: Judge, candidate: Callable[[str], Candidate], contrastive: bool = False):
        self.cfg, self.archive, self.principles, self.seed = cfg, archive, principles, seed
        self.contrastive = contrastive  # drop accepted candidates that not even the reference catches
        self.judge, self.candidate = judge, candidate
        self.elo = EloTable(cfg.initial_elo, cfg.k)
        self.barred: set[str] = set()  # scenarios an expert marked unrealistic: never (re-)enter the archive

    def pool(self, sid: str) -> tuple[str | None, str | None]:
        """The Elo pool of a scenario: its volume band (with ``match_within = "band"``) and its
        family if that family is kept separate; only scenarios of one pool move each other's Elo."""
        c = self.candidate(sid)
        family = family_of(c.scenario.primary_typology)
        return (self.archive.band_of(c.report) if self.cfg.match_within == "band" else None,
                family if family in self.cfg.separate_families else None)

    def counts(self, a: str, b: str) -> bool:
        """Whether a match of elites or candidates ``a`` and ``b`` may change Elo ratings."""
        return self.pool(a) == self.pool(b)

    def opponents(self, r: int, slot: int, sid: str, incumbent: str | None) -> list[str]:
        """Random archive opponents of candidate ``sid`` (besides its cell's incumbent)."""
        if self.cfg.match_within == "cell":
            return []
        mine = self.pool(sid)
        others = [e for e in self.archive.elites() if e not in (sid, incumbent) and self.pool(e) == mine]
        k = min(self.cfg.random_opponents, len(others))
        rng = np.random.default_rng([self.seed, r, slot, 7])
        return (
            [others[i] for i in sorted(rng.choice(len(others), size=k, replace=False).tolist())] if k else []
        )

    async def play(self, r: int, a: Candidate, b_id: str) -> Winner | None:
        """One match of candidate ``a`` against ``b_id``; Elo moves if the rule allows it."""
        w = await self.judge(r, a, self.candidate(b_id))
        if w is not None and self.counts(a.scenario.uid, b_id):
            self.elo.play(a.scenario.uid, b_id, w)
        return w

    async def offer(self, r: int, slot: int, c: Candidate) -> AddStatus:
        """Offer an evaluated candidate to the archive and play its matches."""
        if c is None or not c.review.accepted or c.scenario.uid in self.barred:
            return AddStatus.REJECTED
        if self.contrastive and c.report.reference_caught is False:
            return AddStatus.FILTERED
        sid = c.scenario.uid
        cell = self.archive.cell_of(c.scenario, c.report)
        inc = self.archive.cells.get(cell)
        if any(e.scenario_id == sid for e in self.archive.cells.values()) or self.archive.near_duplicate(
            signature(c.scenario), exclude=inc and inc.scenario_id
        ):
            return AddStatus.NEAR_DUPLICATE
        self.elo.ratings.setdefault(sid, self.elo.initial)
        quality = utility(c, self.principles)
        if inc is None:
            self.archive.place(cell, c.scenario, c.review, c.report, quality)
            status = AddStatus.NEW_CELL
        elif await self.play(r, c, inc.scenario_id) is Winner.A:
            self.archive.place(cell, c.scenario, c.review, c.report, quality)
            status = AddStatus.REPLACED
        else:
            status = AddStatus.KEPT_INCUMBENT
        for other in self.opponents(r, slot, sid, inc and inc.scenario_id):
            await self.play(r, c, other)
        return status

    def play_human(self, a: str, b: str, winner: Winner) -> bool:
        """An expert's pairwise verdict: Elo moves by ``human_weight`` times K if ``a`` and
        ``b`` share an Elo pool; returns whether it moved."""
        if not self.cfg.human_weight or not self.counts(a, b):
            return False
        self.elo.play(a, b, winner, self.cfg.human_weight)
        return True

    async def play_round(self, r: int, finals: list[tuple[int, Candidate | None]]) -> dict:
        """Offer a round's final candidates, in slot order; counts per `AddStatus`."""
        stats = {s.value: 0 for s in AddStatus}
        for slot, c in finals:
            stats[(await self.offer(r, slot, c)).value] += 1
        return stats


__all__ = ["EloTable", "Tournament", "expected", "match_id"]
