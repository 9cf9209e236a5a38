"""agents: the roles of the red-team debate, each in two implementations.

- planner: Brief -> Scenario
- critic: Scenario -> Review (realism)
- adversary: Scenario -> EvasionReport (numbers from trained detectors)
- evolver: parents with reviews and reports -> children
- judge: (A, B) -> Verdict

`agents.procedural` needs no LLM (typology templates, realism checks, detector scores,
steered mutation operators, principles-weighted judging); `agents.llm` puts a chat model
behind the same interfaces (prompts in `agents/prompts/`, principles in
`agents/principles.toml`). `build_roles` picks per role from config.
"""

from agents.base import Adversary, Critic, Evolver, Judge, Planner
from agents.briefs import document_briefs, library_briefs
from agents.errors import ConfigError, LLMCallError, RoleError
from agents.factory import ROLE_NAMES, AgentsConfig, RoleConfig, Roles, build_roles, check_agents
from agents.llm.planner import planner_prompt
from agents.models import (
    Brief,
    Candidate,
    CheckResult,
    Critique,
    EvasionReport,
    Offspring,
    Review,
    Verdict,
    Winner,
)
from agents.principles import Principles, load_principles

__all__ = [
    "ROLE_NAMES",
    "Adversary",
    "AgentsConfig",
    "Brief",
    "Candidate",
    "CheckResult",
    "ConfigError",
    "Critic",
    "Critique",
    "EvasionReport",
    "Evolver",
    "Judge",
    "LLMCallError",
    "Offspring",
    "Planner",
    "Principles",
    "Review",
    "RoleConfig",
    "RoleError",
    "Roles",
    "Verdict",
    "Winner",
    "build_roles",
    "check_agents",
    "document_briefs",
    "library_briefs",
    "load_principles",
    "planner_prompt",
]
