"""The release configuration (TOML + pydantic; every field is described).

A release is one World cut by time into train, validation and test periods, with laundering
placed in each: baseline typology templates everywhere, and the scenarios of a pool (the
drafts and elites of an effect experiment) by evolution seed, so that the test period's
"novel" elites come from seeds none of whose scenarios appears in a training period.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from detectors import REGISTRY
from graph_schema.world import WorldConfig
from orchestrator.engine import load_toml

SPLITS = ("train", "validation", "test")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TakeConfig(_Model):
    """What one period takes from the pool, per evolution seed."""

    elites: int | None = Field(
        None, ge=0, description="Elites per seed (a seeded sample where a seed has more; empty: all)."
    )
    drafts: int | None = Field(
        None, ge=0, description="Planner drafts per seed (a seeded sample where a seed has more; empty: all)."
    )
    copies: int = Field(1, ge=1, le=20, description="Placements of each taken scenario (other times and "
                        "accounts; each placement is its own scenario).")


class TakeSplits(_Model):
    """What train and validation take from the training seeds, and test from the test seeds."""

    train: TakeConfig = Field(default_factory=TakeConfig, description="Train period.")
    validation: TakeConfig = Field(default_factory=TakeConfig, description="Validation period.")
    test: TakeConfig = Field(default_factory=TakeConfig, description="Test period.")


class BaselinesConfig(_Model):
    """The detectors of the release's results table (`redledger release-baselines`)."""

    detectors: dict[str, dict] = Field(
        default_factory=lambda: {
            "gine": {"epochs": 20},
            "sage": {"epochs": 20},
            "gcn": {"epochs": 20},
            "gat": {"epochs": 20},
            "pna": {"epochs": 20},
            "multi-gine": {"epochs": 20},
            "lightgbm": {},
            "rules": {},
        },
        description="Detectors by registry name with config overrides; each is trained on the train "
        "period (validation for early stopping) and scores validation and test.",
    )

    probes: list[Literal["amount"]] = Field(
        ["amount"], description="Single-feature probes scored like detectors: `amount` scores each "
        "transaction by its US-dollar amount, a leak check (a release it separates well is separable by "
        "amount alone).",
    )

    @model_validator(mode="after")
    def _known(self) -> BaselinesConfig:
        bad = sorted(n for n in self.detectors if n not in REGISTRY)
        if bad:
            raise ValueError(f"unknown detector(s) {bad}; known: {sorted(REGISTRY)}")
        return self


class ReleaseConfig(_Model):
    """A versioned benchmark dataset: its World, periods, laundering and documentation."""

    name: str = Field(..., pattern=r"^[a-z0-9][a-z0-9-]{1,60}$", description="Dataset name.")
    version: str = Field(..., pattern=r"^\d+\.\d+\.\d+$", description="Semantic version of the data.")
    published: dt.date = Field(
        dt.date(2026, 12, 3), description="Publication date written into the card and croissant.json "
        "(fixed, so that a rebuild gives the same bytes).",
    )
    license: str = Field("cc-by-4.0", description="Licence identifier of the data (Hugging Face style).")
    world: WorldConfig = Field(
        ..., description="The background economy (its laundering_share is ignored: the release places "
        "its own laundering per period)."
    )
    shards: int = Field(2, ge=1, le=64, description="Shards the World is generated in (the bytes depend "
                        "on it, so it is part of the config).")
    split_days: list[int] = Field(
        ..., min_length=3, max_length=3,
        description="Days of the train, validation and test periods, in order; they sum to world.days.",
    )
    pool: Path = Field(
        ..., description="Scenario pool (JSON lines from `redledger release-pool`), relative to this "
        "config's directory.",
    )
    effect_results: Path | None = Field(
        None, description="results.json of the experiment the pool comes from (relative to this config's "
        "directory), whose realism figures the datasheet quotes; empty says they were not measured.",
    )
    train_seeds: list[int] = Field(
        ..., min_length=1, description="Evolution seeds whose drafts and elites go into train and validation."
    )
    test_seeds: list[int] = Field(
        ..., min_length=1, description="Evolution seeds whose drafts and elites go into test only (novel)."
    )
    take: TakeSplits = Field(default_factory=TakeSplits, description="Pool scenarios each period takes.")
    baseline_share: float = Field(
        0.0005, ge=0, lt=0.05,
        description="Share of each period's background transactions added as baseline-template laundering.",
    )
    seed: int = Field(0, ge=0, description="Seed of sampling and placement (the World has its own).")
    budgets: list[float] = Field(
        [0.001, 0.005, 0.01], min_length=1,
        description="Alert budgets of `redledger evaluate`, each a share of test-period transactions.",
    )
    resamples: int = Field(1000, ge=100, description="Bootstrap resamples of `redledger evaluate`.")
    baselines: BaselinesConfig = Field(
        default_factory=BaselinesConfig, description="The detectors of the results table."
    )

    @model_validator(mode="after")
    def _check(self) -> ReleaseConfig:
        if sum(self.split_days) != self.world.days:
            raise ValueError(f"split_days {self.split_days} must sum to world.days ({self.world.days})")
        if min(self.split_days) < 1:
            raise ValueError("split_days: every period needs at least one day")
        both = sorted(set(self.train_seeds) & set(self.test_seeds))
        if both:
            raise ValueError(f"train_seeds and test_seeds share {both}: novel elites must come from "
                             "seeds that appear in no training period")
        return self

    @property
    def slug(self) -> str:
        return f"{self.name}-v{self.version.split('.')[0]}"

    def digest(self) -> str:
        """Digest of the config (without the pool's path, with the pool's content hashed by
        the builder): two builds of one config are comparable."""
        body = self.model_dump(mode="json", exclude={"pool", "effect_results"})
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]


def load_release(path: Path) -> ReleaseConfig:
    """Read a release TOML; ``pool`` becomes relative to the config's directory.

    Raises:
        ConfigFileError: unreadable TOML or a field that breaks its rule (one line naming the
            file, the field and the rule).
    """
    cfg = load_toml(path, ReleaseConfig)
    rel = {k: path.parent / v for k, v in (("pool", cfg.pool), ("effect_results", cfg.effect_results))
           if v is not None and not v.is_absolute()}
    return cfg.model_copy(update=rel)


__all__ = ["SPLITS", "BaselinesConfig", "TakeConfig", "TakeSplits", "ReleaseConfig", "load_release"]
