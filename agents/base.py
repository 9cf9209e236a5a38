"""The role interface: one small abstract class per role, one async method each.

The orchestrator programs against these classes only; whether a procedure or a chat
model stands behind a role is decided by `agents.factory.build_roles` from config.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from agents.models import Brief, Candidate, EvasionReport, Offspring, Review, Verdict
from graph_schema.dsl import Scenario


class Planner(ABC):
    """Brief -> Scenario."""

    @abstractmethod
    async def plan(self, brief: Brief, sample: int = 0) -> Scenario:
        """Draft a scenario for ``brief``; ``sample`` indexes independent drafts.

        Raises:
            RoleError: no valid scenario within the role's attempts.
        """


class Critic(ABC):
    """Scenario -> Review."""

    @abstractmethod
    async def review(self, scenario: Scenario) -> Review: ...


class Adversary(ABC):
    """Scenario -> EvasionReport, with numbers from the detectors."""

    @abstractmethod
    async def evaluate(self, scenario: Scenario) -> EvasionReport: ...


class Evolver(ABC):
    """Parents with their reviews and reports -> children."""

    @abstractmethod
    async def evolve(self, parents: list[Candidate], n: int, sample: int = 0) -> list[Offspring]:
        """Up to ``n`` children of ``parents`` (one parent mutates, two may cross over)."""


class Judge(ABC):
    """(A, B) -> Verdict."""

    @abstractmethod
    async def compare(self, a: Candidate, b: Candidate) -> Verdict: ...


__all__ = ["Adversary", "Critic", "Evolver", "Judge", "Planner"]
