"""Procedural roles: the pattern-based baseline that needs no LLM.

Planner = typology templates bent by the brief; critic = registered realism checks;
adversary = detector scores at an alert budget; evolver = steered mutation operators and
crossover; judge = principles-weighted realism and evasion.
"""

from agents.procedural import (
    blend_ops,  # noqa: F401  (registers the blending operators)
    giveaway,  # noqa: F401  (registers the realism discriminator's check)
    load_ops,  # noqa: F401  (registers the operators that spread each account's volume)
)
from agents.procedural.adversary import DetectorAdversary
from agents.procedural.checks import CHECKS
from agents.procedural.critic import ChecksCritic
from agents.procedural.evolver import OperatorEvolver
from agents.procedural.judge import PrinciplesJudge
from agents.procedural.operators import OPERATORS
from agents.procedural.planner import TemplatePlanner
from agents.procedural.stats import WorldStats, world_stats

__all__ = [
    "CHECKS",
    "OPERATORS",
    "ChecksCritic",
    "DetectorAdversary",
    "OperatorEvolver",
    "PrinciplesJudge",
    "TemplatePlanner",
    "WorldStats",
    "world_stats",
]
