"""The experiment configuration (TOML + pydantic; every field is described).

An experiment is a grid: arms (the loop with one stage switched off) x evolution seeds x
evaluation detectors. Evolution runs in World A (the loop config's World); every figure is
measured in World B, generated from the same config with another seed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from agents import AgentsConfig
from detectors import REGISTRY
from experiments.effect.arms import ARMS
from orchestrator.engine import RunConfig, load_toml


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HeldOutConfig(_Model):
    """World B and the detectors every figure is measured with."""

    seed_offset: int = Field(
        1000, description="World B is the loop's World config with seed + this (never 0: B is not A).")
    training_share: float = Field(
        0.004,
        gt=0,
        lt=0.2,
        description="Share of baseline laundering injected into B to train its detectors on.",
    )
    budget: float = Field(
        0.005,
        gt=0,
        lt=1,
        description="Alert budget in B: a transaction is alerted when its score is in the top "
        "`budget` of B's test-period scores.",
    )
    detectors: dict[str, dict] = Field(
        default_factory=lambda: {
            "gine": {"epochs": 40, "seed": 1},
            "sage": {"epochs": 40},
            "gcn": {"epochs": 40},
            "pna": {"epochs": 40},
            "multi-gine": {"epochs": 40},
            "lightgbm": {},
            "rules": {},
        },
        description="Evaluation detectors by name with config overrides; a `name@tag` key trains "
        "`name` again "
        "(e.g. the loop's architecture with another seed). None of them is the loop's detector.",
    )
    budgets: list[float] = Field(
        [0.001, 0.005, 0.01],
        min_length=1,
        description="Alert budgets of the headline (net funds in cases with no alert), each a share of "
        "B's test-period transactions.",
    )
    placements: int = Field(
        3,
        ge=1,
        le=10,
        description="Times each scenario is placed in B's test period (other times and accounts); a "
        "scenario's figures average its placements, and the bootstrap resamples scenarios.",
    )
    max_drafts: int | None = Field(
        None,
        ge=2,
        description="Planner drafts measured per arm and seed: a seeded sample of this many where a run "
        "drafted more (empty measures all).",
    )
    window_fit: float = Field(
        0.8,
        ge=0,
        le=1,
        description="The loop's longest horizon (agents.max_horizon_days) is this share of B's test "
        "window, the rest left for calendar snapping, so that no scenario is dropped for not fitting "
        "B; 0 leaves the loop uncapped.",
    )
    band_min: int = Field(
        3,
        ge=2,
        description="Volume bands (loop.archive.volume_bins, on funds placed) enter the funds-matched "
        "headline only where both compared groups have at least this many scenarios.",
    )
    baseline_per_template: int = Field(
        3, ge=1, le=50, description="Baseline group: scenarios sampled from each library template."
    )
    compile_seed: int = Field(
        0, ge=0, description="Seed with which scenarios are compiled into B's test period."
    )

    @field_validator("budgets")
    @classmethod
    def _budgets(cls, v: list[float]) -> list[float]:
        if any(not 0 < b < 1 for b in v) or len(set(v)) != len(v):
            raise ValueError("budgets must be distinct shares between 0 and 1")
        return sorted(v)

    @field_validator("seed_offset")
    @classmethod
    def _offset(cls, v: int) -> int:
        if v == 0:
            raise ValueError("seed_offset must not be 0: World B must not be the World the loop evolved in")
        return v

    @field_validator("detectors")
    @classmethod
    def _detectors(cls, v: dict) -> dict:
        unknown = [k for k in v if k.split("@")[0] not in REGISTRY]
        if unknown or not v:
            raise ValueError(
                f"unknown evaluation detector(s) {unknown or '(none)'}; known: {sorted(REGISTRY)}"
            )
        return v


class RetrainConfig(_Model):
    """E2, leave one seed out: B's detectors retrained on B plus the elites of every seed but
    one, and, as controls, on as many planner drafts or baseline-template instances; tested on
    the held-out seed's elites, the baseline templates and a typology family no training set
    holds (`experiments.effect.retrain`)."""

    enabled: bool = Field(True, description="Run E2 (needs at least 2 evolution seeds).")
    detectors: list[str] = Field(
        default_factory=lambda: ["gine", "sage", "lightgbm"],
        description="Evaluation detectors to retrain (keys of heldout.detectors).",
    )
    arm: str = Field("full", description="The arm whose elites are trained on and tested on.")
    copies: int = Field(
        3,
        ge=1,
        le=20,
        description="Times each training scenario is compiled into B's training period (seeds differ).",
    )
    val_copies: int = Field(
        1,
        ge=0,
        le=20,
        description="Times each training scenario is compiled into B's validation period, which drives "
        "early stopping.",
    )
    heldout_family: str = Field(
        "chain",
        description="The typology family no training set holds; its elites and templates are a test set "
        "of their own.",
    )

    @field_validator("heldout_family")
    @classmethod
    def _family(cls, v: str) -> str:
        from graph_schema.families import FAMILY

        if v not in FAMILY:
            raise ValueError(f"unknown typology family '{v}'; known: {', '.join(sorted(FAMILY))}")
        return v


class RealismConfig(_Model):
    """The classifier two-sample test (C2ST) and the single-transaction leak check."""

    enabled: bool = Field(True, description="Run the realism tests.")
    matched: int = Field(
        3,
        ge=1,
        le=20,
        description="Legitimate accounts of the same profile matched to each scenario account.",
    )
    sized: int = Field(
        40,
        ge=0,
        le=10_000,
        description="Every group's C2ST AUC is also given at this many scenarios (mean of `draws` "
        "random draws; experiments.effect.realism.c2st_sized), since the AUC rises with the number "
        "of scenarios it learns from: groups of different size compare only so. 0 leaves it out; "
        "a group with fewer scenarios gets none.",
    )
    draws: int = Field(20, ge=1, le=100, description="Random draws of `sized` scenarios per group.")


class ExperimentConfig(_Model):
    """A whole effect analysis: what runs, where it is measured, and how."""

    name: str = Field("experiment", pattern=r"^[A-Za-z0-9_-]{1,40}$", description="Name of the experiment.")
    arms: list[str] = Field(["full"], min_length=1, description=f"Arms to run, from: {', '.join(ARMS)}.")
    seeds: list[int] = Field(
        [1, 2, 3], min_length=1, description="Evolution seeds (each arm runs once per seed)."
    )
    loop: RunConfig = Field(
        default_factory=RunConfig,
        description="The evolution run (World A, detectors, roles, "
        "budgets); its seed is replaced by each evolution seed.",
    )
    agents_file: Path | None = Field(
        None,
        description="A TOML file whose [agents] table replaces loop.agents (e.g. LLM roles on an endpoint).",
    )
    heldout: HeldOutConfig = Field(default_factory=HeldOutConfig, description="World B and its detectors.")
    retrain: RetrainConfig = Field(default_factory=RetrainConfig, description="E2, training utility.")
    realism: RealismConfig = Field(default_factory=RealismConfig, description="The C2ST and the leak check.")
    resamples: int = Field(2000, ge=100, le=100_000, description="Bootstrap resamples of every interval.")
    workers: int = Field(2, ge=1, le=1024, description="Cells run at once as Ray tasks (1 runs them inline).")

    @field_validator("arms")
    @classmethod
    def _arms(cls, v: list[str]) -> list[str]:
        bad = [a for a in v if a not in ARMS]
        if bad:
            raise ValueError(f"unknown arm(s) {bad}; known: {', '.join(ARMS)}")
        return v

    @field_validator("seeds")
    @classmethod
    def _seeds(cls, v: list[int]) -> list[int]:
        if len(set(v)) != len(v):
            raise ValueError("seeds must be distinct")
        return v

    @model_validator(mode="after")
    def _check(self) -> ExperimentConfig:
        self._no_overlap()
        if self.retrain.enabled:
            if len(self.seeds) < 2:
                raise ValueError(
                    "retrain needs at least 2 seeds (train on one seed's elites, test on another's); "
                    "add seeds or set retrain.enabled = false"
                )
            if self.retrain.arm not in self.arms:
                raise ValueError(f"retrain.arm '{self.retrain.arm}' is not one of the arms")
            missing = [d for d in self.retrain.detectors if d not in self.heldout.detectors]
            if missing:
                raise ValueError(f"retrain.detectors {missing} are not among heldout.detectors")
        return self

    def _no_overlap(self) -> None:
        """The loop's adversary (its detectors in World A), its contrastive reference and the
        held-out evaluators (World B) must be apart: a reference of the adversary's architecture
        in the adversary's World, or of an evaluator's architecture, would favour scenarios
        that architecture misses and bias the measurement."""
        loop = set(self.loop.detectors.names)
        if not self.loop.contrastive.enabled:
            return
        ref = set(self.loop.contrastive.reference)
        if ref & loop:
            raise ValueError(
                f"loop.contrastive.reference {sorted(ref & loop)} is the loop's own detector in World A; "
                "pick a reference of another architecture"
            )
        evaluators = {k.split("@")[0] for k in self.heldout.detectors}
        if ref & evaluators:
            raise ValueError(
                f"loop.contrastive.reference {sorted(ref & evaluators)} is also a held-out evaluator "
                "(heldout.detectors); pick a reference no evaluator shares"
            )

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()[
            :16
        ]

    def run_config(self, arm: str, seed: int) -> RunConfig:
        """The loop's config for one arm and evolution seed."""
        return ARMS[arm](self.loop.model_copy(update={"seed": seed, "name": f"{arm}-s{seed}"}, deep=True))

    @property
    def plumbing_only(self) -> bool:
        """LLM roles on a scripted model or a tiny packaged one (SmolLM2-135M, Gemma 3 270M) test
        the HTTP path, never the quality of a plan (Qwen2.5-Coder-1.5B or any GGUF file is not
        plumbing)."""
        backends = self.loop.agents.backends

        def toy(b) -> bool:
            return b.kind == "scripted" or (b.kind == "local" and b.local.model_path is None
                                            and b.local.model in ("smollm2", "gemma3"))

        return any(toy(backends[getattr(self.loop.agents, r).backend]) for r in self.loop.agents.llm_roles())


class _AgentsFile(BaseModel):
    model_config = ConfigDict(extra="ignore")

    agents: AgentsConfig = Field(description="The roles of the loop.")


def load_experiment(path: Path) -> ExperimentConfig:
    """Read an experiment TOML; ``agents_file`` is relative to the config's directory and
    "${VAR}" strings take environment values, as in run configs.

    Raises:
        ConfigFileError: unreadable TOML, or a field that breaks its rule (one line naming
            the file, the field and the rule).
    """
    cfg = load_toml(path, ExperimentConfig)
    if cfg.agents_file is not None:
        f = cfg.agents_file if cfg.agents_file.is_absolute() else path.parent / cfg.agents_file
        agents = load_toml(f, _AgentsFile).agents
        cfg = cfg.model_copy(
            update={"loop": cfg.loop.model_copy(update={"agents": agents}), "agents_file": f}
        )
    return cfg


__all__ = ["ExperimentConfig", "HeldOutConfig", "RealismConfig", "RetrainConfig", "load_experiment"]
