"""Build the five roles from config; the orchestrator gets `Roles` and never learns
which of them a chat model stands behind."""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agents.base import Adversary, Critic, Evolver, Judge, Planner
from agents.errors import ConfigError
from agents.llm import LLMAdversary, LLMCritic, LLMEvolver, LLMJudge, LLMPlanner
from agents.llm.accounting import TokenLedger
from agents.llm.backend import Backend
from agents.llm.cache import CallCache
from agents.llm.config import BackendConfig
from agents.llm.local_server import model_file
from agents.llm.mutator import LLMMutator
from agents.principles import load_principles
from agents.procedural import (
    CHECKS,
    OPERATORS,
    ChecksCritic,
    DetectorAdversary,
    OperatorEvolver,
    PrinciplesJudge,
    TemplatePlanner,
    world_stats,
)

ROLE_NAMES = ("planner", "critic", "adversary", "evolver", "judge")


class RoleConfig(BaseModel):
    """How one role is played."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["procedural", "llm"] = Field(
        "procedural", description="'procedural' (no LLM, the pattern-based baseline) or 'llm'."
    )
    backend: str = Field("default", description="Name of the backend in `backends` (llm mode only).")


class AgentsConfig(BaseModel):
    """The roles, their backends, and the standards they apply."""

    model_config = ConfigDict(extra="forbid")

    planner: RoleConfig = Field(default_factory=RoleConfig, description="Brief -> Scenario.")
    critic: RoleConfig = Field(default_factory=RoleConfig, description="Scenario -> Review (realism).")
    adversary: RoleConfig = Field(default_factory=RoleConfig, description="Scenario -> EvasionReport.")
    evolver: RoleConfig = Field(default_factory=RoleConfig, description="Parents -> children.")
    judge: RoleConfig = Field(default_factory=RoleConfig, description="(A, B) -> Verdict.")
    backends: dict[str, BackendConfig] = Field(
        default_factory=dict, description="Chat-model endpoints by name, for roles in llm mode."
    )
    principles: Path | None = Field(
        None, description="Principles file of the critic and judge; empty uses agents/principles.toml."
    )
    checks: list[str] | None = Field(
        None, description="Realism checks to run; empty runs every principle's check."
    )
    operators: list[str] | None = Field(None, description="Mutation operators to use; empty uses all.")
    crossover_rate: float = Field(0.2, ge=0, le=1, description="Share of children made by crossover.")
    compound_rate: float = Field(
        0.5, ge=0, le=1, description="Chance that a mutated child gets a second, different operator on top."
    )
    steering: bool = Field(True, description="Let flagged transfers and critiques steer the operators.")
    planner_fits_capacity: bool = Field(
        False,
        description="Procedural planner: bring each draft's accounts within what their profiles' peers turn "
        "over (move persons that launder a business's money to businesses, share what is still too much "
        "among parallel accounts) before it is reviewed.",
    )
    blend_in: bool = Field(
        True,
        description="Procedural planner and evolver (on by default; false keeps the templates' own accounts "
        "and timing, as the loop did before): fit each draft's capacity (as planner_fits_capacity), "
        "and in every draft and child recruit each person, business and shell company from the World's "
        "accounts of its profile instead of opening a new account, put every payment that moves the "
        "funds on its channel's calendar and round it like its payer's own payments, and pay every "
        "payment between two customer accounts on its payer's usual channels.",
    )
    llm_evolver: Literal["edits", "whole"] = Field(
        "edits",
        description="LLM evolver: 'edits' asks the model for small edits (an operator on a transfer it "
        "names, or a short JSON patch), applied and compiled like procedural children (Rainbow "
        "Teaming's mutator); 'whole' asks for whole child scenarios.",
    )
    max_horizon_days: float | None = Field(
        None,
        gt=0,
        description="Longest operation (horizon, days) the planner and evolver may propose and the "
        "critic accepts; empty allows the World's period. The effect analysis sets it so that every "
        "scenario fits World B's test window.",
    )
    alert_budget: float = Field(
        0.005, gt=0, lt=1, description="Share of the World's transactions a detector alerts (0.5%)."
    )
    compile_seed: int = Field(0, ge=0, description="Seed with which critic and adversary compile scenarios.")
    judge_swap_check: bool = Field(True, description="LLM judge: ask in both orders; disagreement is a tie.")
    seed: int = Field(0, ge=0, description="Seed of the procedural roles' random choices.")

    @model_validator(mode="after")
    def _backends_exist(self) -> AgentsConfig:
        for name in ROLE_NAMES:
            rc: RoleConfig = getattr(self, name)
            if rc.mode == "llm" and rc.backend not in self.backends:
                known = ", ".join(self.backends) or "none"
                raise ValueError(f"{name}.backend: no backend named '{rc.backend}' (defined: {known})")
        return self

    def llm_roles(self) -> list[str]:
        return [n for n in ROLE_NAMES if getattr(self, n).mode == "llm"]


def check_agents(cfg: AgentsConfig) -> None:
    """Everything about ``cfg`` that can be known before a run starts: the principles file
    loads, the named checks and operators exist, and every backend an LLM role uses can
    start (its key variable is set, its local model and llama.cpp are installed).

    Raises:
        ConfigError: one line, naming the field (``agents.…``) and the rule.
    """
    load_principles(cfg.principles)
    for field_, names, known in (("checks", cfg.checks, CHECKS), ("operators", cfg.operators, OPERATORS)):
        unknown = [n for n in names or [] if n not in known]
        if unknown:
            raise ConfigError(
                f"agents.{field_}: unknown name(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})"
            )
    for name in sorted({getattr(cfg, r).backend for r in cfg.llm_roles()}):
        b = cfg.backends[name]
        where = f"agents.backends.{name}"
        if b.kind == "openai" and b.key_variable and not os.environ.get(b.key_variable):
            raise ConfigError(f"{where}.api_key_env: environment variable {b.key_variable} is not set")
        if b.kind == "local":
            try:
                model_file(b.local)
            except ConfigError as err:
                raise ConfigError(f"{where}: {err}") from None
            if importlib.util.find_spec("llama_cpp") is None:
                raise ConfigError(f"{where}.kind: 'local' needs llama-cpp-python (the extra `local-llm`)")


@dataclass
class Roles:
    """The five roles, ready to call, and the backends they hold open."""

    planner: Planner
    critic: Critic
    adversary: Adversary
    evolver: Evolver
    judge: Judge
    ledger: TokenLedger
    backends: dict[str, Backend] = field(default_factory=dict)

    def close(self) -> None:
        for b in self.backends.values():
            b.close()


def build_roles(cfg: AgentsConfig, world, detectors: dict, versions: dict[str, str] | None = None,
                cache_path: str | Path | None = None, only: tuple[str, ...] = ROLE_NAMES,
                second=None, critic_gate: bool = True, reference: dict | None = None,
                reference_budget: float = 0.02, world_scores: dict | None = None,
                discriminator=None) -> Roles:
    """Instantiate the roles named in ``only`` (others are None) for ``world``.

    ``detectors`` are fitted detectors by name (needed if the adversary is in ``only``).
    ``second`` is the critic's second World for the robustness gate (`second_world`).
    ``critic_gate`` False makes the critic accept everything (an ablation).
    ``reference`` are the contrastive filter's reference detectors by name, alerting at
    ``reference_budget`` together with ``detectors``.
    ``world_scores`` are the detectors' saved scores of ``world`` (the adversary scores
    what is missing).
    ``discriminator`` is the critic's fitted realism discriminator (None skips its check).

    Raises:
        ConfigError: a backend cannot start (missing key variable, missing local model).
    """
    principles = load_principles(cfg.principles)
    ledger = TokenLedger()
    cache = CallCache(cache_path) if cache_path is not None and cfg.llm_roles() else None
    backends: dict[str, Backend] = {}

    def client(role: str):
        name = getattr(cfg, role).backend
        if name not in backends:
            backends[name] = Backend(cfg.backends[name], cache=cache, ledger=ledger).start()
        return backends[name].client(role)

    def llm(role: str) -> bool:
        return getattr(cfg, role).mode == "llm"

    stats = world_stats(world) if "critic" in only else None
    out: dict = {}
    cap = cfg.max_horizon_days
    if "planner" in only:
        out["planner"] = (LLMPlanner(client("planner"), world, max_days=cap) if llm("planner")
                          else TemplatePlanner(world, cfg.seed, max_days=cap,
                                               fit_capacity=cfg.planner_fits_capacity,
                                               blend_in=cfg.blend_in))
    if "critic" in only:
        checks = ChecksCritic(world, principles, cfg.checks, cfg.compile_seed, stats, second, critic_gate,
                              discriminator, cfg.max_horizon_days)
        out["critic"] = LLMCritic(client("critic"), checks) if llm("critic") else checks
    if "adversary" in only:
        evidence = DetectorAdversary(world, detectors, versions, cfg.alert_budget, cfg.compile_seed,
                                     principles.critic.purpose, reference, reference_budget,
                                     world_scores)
        out["adversary"] = LLMAdversary(client("adversary"), evidence) if llm("adversary") else evidence
    if "evolver" in only:
        llm_evolver = LLMEvolver if cfg.llm_evolver == "whole" else LLMMutator
        out["evolver"] = (llm_evolver(client("evolver"), world, max_days=cap) if llm("evolver") else
                          OperatorEvolver(world, cfg.operators, cfg.crossover_rate, cfg.steering, cfg.seed,
                                          compound_rate=cfg.compound_rate, max_days=cap,
                                          blend_in=cfg.blend_in))
    if "judge" in only:
        out["judge"] = (LLMJudge(client("judge"), principles, cfg.judge_swap_check) if llm("judge")
                        else PrinciplesJudge(principles))
    return Roles(**{n: out.get(n) for n in ROLE_NAMES}, ledger=ledger, backends=backends)


__all__ = ["ROLE_NAMES", "AgentsConfig", "RoleConfig", "Roles", "build_roles", "check_agents"]
