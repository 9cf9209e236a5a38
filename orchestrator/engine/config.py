"""The run configuration (TOML + pydantic; every field is described).

A run directory keeps a copy of its config; its hash ties the run store to it, so that a
directory is never resumed with another configuration.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from agents import AgentsConfig
from graph_schema.world import WorldConfig
from orchestrator.engine.adversaries import ContrastiveConfig, RealismConfig, StagesConfig
from orchestrator.engine.roles import FaultConfig

M = TypeVar("M", bound=BaseModel)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WorldSource(_Model):
    """Where the background economy comes from."""

    path: Path | None = Field(
        None,
        description="A World directory written by `redledger world`; empty generates one from `generate`.",
    )
    generate: WorldConfig = Field(
        default_factory=lambda: WorldConfig(accounts=5000, days=10, laundering_share=0.002),
        description="World to generate when `path` is empty (the same fields as `redledger world`).",
    )


class DetectorsConfig(_Model):
    """The defenders the adversary consults, trained at the start of the run."""

    names: list[str] = Field(["gine"], min_length=1, description="Detector names (registry of `detectors`).")
    overrides: dict[str, dict] = Field(
        default_factory=dict, description="Per-detector config overrides, e.g. {gine = {epochs = 40}}."
    )
    training_share: float = Field(
        0.002,
        gt=0,
        lt=0.2,
        description="Share of baseline laundering injected into the World to train the detectors on.",
    )


class ActorsConfig(_Model):
    """Ray actors per role (each pool is a list of async actors)."""

    planner: int = Field(1, ge=1, le=64, description="Planner actors.")
    critic: int = Field(1, ge=1, le=64, description="Critic actors.")
    adversary: int = Field(
        1, ge=1, le=64, description="Adversary actors (each holds the World graph and detectors)."
    )
    evolver: int = Field(1, ge=1, le=64, description="Evolver actors.")
    judge: int = Field(1, ge=1, le=64, description="Judge actors.")
    threads: int = Field(
        1, ge=1, le=64, description="Torch/OMP threads per actor (1 is fastest under load here)."
    )


class ArchiveConfig(_Model):
    """The MAP-Elites grid (Rainbow Teaming's archive)."""

    descriptors: list[str] = Field(
        ["family", "complexity", "volume"],
        min_length=1,
        description="Cell axes, from: family (typology family), typology (primary typology), "
        "complexity (bins of transfer count), volume (log bins of funds integrated, US dollars), "
        "evasion (bins of evasion score), channel (main payment format).",
    )
    volume_bins: list[float] = Field(
        [10_000.0, 100_000.0, 1_000_000.0],
        min_length=1,
        description="Upper edges of the volume bands (funds integrated, US dollars); band v0 lies below the "
        "first edge, the last band is open.",
    )
    complexity_bins: list[int] = Field(
        [6, 12, 24], min_length=1, description="Upper edges of the complexity bins (number of transfers)."
    )
    evasion_bins: list[float] = Field(
        [0.25, 0.5, 0.75], min_length=1, description="Upper edges of the evasion bins (the last bin is open)."
    )
    novelty_threshold: float = Field(
        0.05,
        ge=0,
        le=1,
        description="A candidate closer than this (structural distance) to an elite is a near-duplicate.",
    )

    @model_validator(mode="after")
    def _check(self) -> ArchiveConfig:
        known = {"family", "typology", "complexity", "volume", "evasion", "channel"}
        bad = [d for d in self.descriptors if d not in known]
        if bad:
            raise ValueError(f"unknown descriptor(s) {bad}; known: {sorted(known)}")
        if sorted(self.volume_bins) != self.volume_bins or min(self.volume_bins) <= 0:
            raise ValueError("volume_bins must be positive and increasing")
        return self


class ParentsConfig(_Model):
    """How the evolver's parents are drawn from the archive (Rainbow Teaming's selection)."""

    selection: Literal["rainbow", "uniform"] = Field(
        "rainbow",
        description="'rainbow' draws archive cells visited less often as parents, or improved recently, "
        "more; 'uniform' draws every elite alike.",
    )
    recent_rounds: int = Field(
        3, ge=0, description="A cell whose elite changed within this many rounds counts as improved recently."
    )
    recent_bonus: float = Field(
        1.0, ge=0, description="Weight added to a recently improved cell (a cell never drawn weighs 1)."
    )


class TournamentConfig(_Model):
    """Elo tournament."""

    initial_elo: float = Field(1200.0, description="Elo of a new candidate.")
    k: float = Field(32.0, gt=0, description="Elo K-factor.")
    random_opponents: int = Field(
        1, ge=0, le=10, description="Random archive opponents per new candidate, besides the incumbent."
    )
    match_within: Literal["band", "cell", "any"] = Field(
        "band",
        description="Where Elo opponents come from: 'band' (elites of the same volume band, so a single "
        "payment never plays a large operation), 'cell' (only the cell's incumbent), 'any' (the whole "
        "archive). "
        "A cell's incumbent is always played to decide the cell; with 'band' that match counts for Elo only "
        "within the band.",
    )
    separate_families: list[str] = Field(
        ["lone"],
        description="Typology families whose scenarios only ever meet their own family in Elo matches, "
        "whatever `match_within` says: a single payment is compared with single payments, never with "
        "operations.",
    )
    human_weight: float = Field(
        2.0,
        ge=0,
        le=20,
        description="An expert's pairwise verdict (from `redledger serve`) moves Elo with this many "
        "times the K-factor; 0 records it without moving Elo. Like the judge's matches, it counts only "
        "within "
        "one Elo pool (see `match_within`).",
    )
    top_k: int = Field(5, ge=1, description="Size of the top of the Elo table watched for stability.")
    stable_rounds: int = Field(
        0, ge=0, description="Stop when the top-k Elo ranking is unchanged for this many rounds (0 = never)."
    )


class BudgetConfig(_Model):
    """When a run stops (whichever comes first)."""

    rounds: int = Field(10, ge=1, description="Rounds to run.")
    wall_clock_s: float | None = Field(None, gt=0, description="Stop after this many seconds of running.")
    llm_tokens: int | None = Field(
        None,
        gt=0,
        description="Stop once LLM requests have spent this many tokens (failed requests count too).",
    )
    failed_rounds: int = Field(
        2,
        ge=1,
        description="Stop with an error (exit code 1) after this many consecutive rounds in which "
        "every debate failed; each such round prints a warning.",
    )


class RunConfig(_Model):
    """Everything a run needs; equal configs and seeds give equal archives."""

    name: str = Field("run", pattern=r"^[A-Za-z0-9_-]{1,40}$", description="Name of the run.")
    seed: int = Field(0, ge=0, description="Seed of every random choice of the run.")
    world: WorldSource = Field(default_factory=WorldSource, description="The background economy.")
    detectors: DetectorsConfig = Field(default_factory=DetectorsConfig, description="The defenders.")
    agents: AgentsConfig = Field(default_factory=AgentsConfig, description="Roles, backends, principles.")
    actors: ActorsConfig = Field(default_factory=ActorsConfig, description="Ray actors per role.")
    population: int = Field(8, ge=1, le=10_000, description="New candidates debated per round.")
    evolve_share: float = Field(
        0.5, ge=0, le=1, description="Share of a round's candidates bred from archive elites (after round 0)."
    )
    debate_turns: int = Field(3, ge=1, le=20, description="Most propose/answer/revise turns of one debate.")
    evasion_target: float = Field(
        0.6,
        ge=0,
        le=1,
        description="A debate ends early once the critic accepts and evasion (the judge "
        "principles' evasion_measure) reaches this.",
    )
    concurrency: int = Field(4, ge=1, le=1024, description="Debates in flight at once.")
    archive: ArchiveConfig = Field(
        default_factory=ArchiveConfig, description="The quality-diversity archive."
    )
    tournament: TournamentConfig = Field(default_factory=TournamentConfig, description="The Elo tournament.")
    parents: ParentsConfig = Field(
        default_factory=ParentsConfig, description="How the evolver's parents are drawn from the archive."
    )
    stages: StagesConfig = Field(default_factory=StagesConfig, description="Stage switches (ablations).")
    contrastive: ContrastiveConfig = Field(
        default_factory=ContrastiveConfig, description="The contrastive filter."
    )
    realism: RealismConfig = Field(
        default_factory=RealismConfig, description="The realism discriminator, an adversary inside the loop."
    )
    coevolution_period: int = Field(
        0, ge=0, description="Every this many rounds retrain the detectors on World + elites (0 = never)."
    )
    budgets: BudgetConfig = Field(default_factory=BudgetConfig, description="Stop conditions.")
    call_timeout_s: float = Field(
        600.0,
        gt=0,
        description="Longest wait for one role call; a call that takes longer is a recorded failure.",
    )
    faults: FaultConfig = Field(
        default_factory=FaultConfig, description="Injected role failures, for testing that runs survive them."
    )

    def digest(self) -> str:
        """Hash of the configuration (what a run directory is tied to)."""
        return hashlib.sha256(json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()[
            :16
        ]


def first_difference(a: dict, b: dict, prefix: str = "") -> str | None:
    """The first field, in sorted dotted order, where config dumps ``a`` (stored) and ``b`` differ."""
    for k in sorted(set(a) | set(b)):
        x, y = a.get(k), b.get(k)
        if isinstance(x, dict) and isinstance(y, dict):
            d = first_difference(x, y, f"{prefix}{k}.")
            if d:
                return d
        elif x != y or (k in a) != (k in b):
            here = json.dumps(y) if k in b else "absent"
            there = json.dumps(x) if k in a else "absent"
            return f"{prefix}{k} ({here} here, {there} in the run)"
    return None


class ConfigFileError(ValueError):
    """A config file cannot be used (one line naming the file, the field and the rule)."""


_ENV_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


def load_toml(path: Path | None, model: type[M], overrides: dict | None = None) -> M:
    """Validate a TOML file (plus overrides, which win) against ``model``; strings written
    "${VAR}" take the value of environment variable VAR.

    Raises:
        ConfigFileError: the file is unreadable, not TOML, names an unset variable, or
            breaks a field rule; the message names the file, the field and the rule.
    """
    data: dict = {}
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as err:
            raise ConfigFileError(f"{path}: cannot read ({err.strerror})") from None
        except UnicodeDecodeError as err:
            raise ConfigFileError(f"{path}: not UTF-8 text (byte {err.start})") from None
        except tomllib.TOMLDecodeError as err:
            raise ConfigFileError(f"{path}: not valid TOML: {err}") from None
    data = _expand_env(data, path, "")
    data.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        return model.model_validate(data)
    except ValidationError as err:
        e = err.errors()[0]
        loc = ".".join(str(x) for x in e["loc"]) or "$"
        where = f"{path}: " if path is not None else "command line: "
        raise ConfigFileError(f"{where}{loc}: {e['msg']}") from None


def _expand_env(node, path, where: str):
    if isinstance(node, dict):
        return {k: _expand_env(v, path, f"{where}.{k}" if where else k) for k, v in node.items()}
    if isinstance(node, list):
        return [_expand_env(v, path, f"{where}[{i}]") for i, v in enumerate(node)]
    if isinstance(node, str) and (m := _ENV_REF.match(node)):
        if m.group(1) not in os.environ:
            raise ConfigFileError(f"{path}: {where}: environment variable {m.group(1)} is not set")
        return os.environ[m.group(1)]
    return node


__all__ = [
    "ActorsConfig",
    "ArchiveConfig",
    "BudgetConfig",
    "ConfigFileError",
    "ContrastiveConfig",
    "DetectorsConfig",
    "RunConfig",
    "StagesConfig",
    "TournamentConfig",
    "WorldSource",
    "first_difference",
    "load_toml",
]
