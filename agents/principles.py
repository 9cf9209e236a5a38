"""Load the editable principles (`agents/principles.toml`) into typed settings."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agents.errors import ConfigError


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Principle(_Model):
    """One principle: its name, weight (critic only) and the text LLM roles read."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Name; a realism check of this name scores it procedurally.")
    weight: float = Field(1.0, ge=0, description="Weight in the critic's realism score.")
    text: str = Field(min_length=1, description="The principle in words, as LLM critics and judges read it.")


class Bands(_Model):
    """Numeric bands the procedural realism checks use."""

    cut_min: float = Field(0.005, ge=0, le=1, description="Smallest plausible share an intermediary keeps.")
    cut_max: float = Field(0.3, ge=0, le=1, description="Largest plausible share an intermediary keeps.")
    amount_quantiles: tuple[float, float] = Field(
        (0.005, 0.995), description="Background quantiles an amount must fall between (per profile and channel)."
    )
    business_hours: tuple[int, int] = Field((7, 20), description="Hours [from, to) when wires, ACH and cheques are sent.")
    cash_hours: tuple[int, int] = Field((8, 18), description="Hours [from, to) when cash desks are open.")
    mule_profiles: list[str] = Field(
        default_factory=lambda: ["student", "salaried", "retiree", "self_employed", "small_business", "unknown"],
        description="Profiles plausibly recruited or hijacked as mules.",
    )
    max_new_accounts_per_bank: int = Field(4, ge=1, description="More new accounts at one bank in one operation is implausible.")
    mule_volume_ratio: float = Field(
        5.0, gt=0, description="A mule moving more than this multiple of its profile's typical monthly volume is implausible."
    )
    camouflage_z: float = Field(2.5, gt=0, description="z-score of an account's behaviour against its peers beyond which it stands out.")


class CriticPrinciples(_Model):
    """The critic's standards."""

    accept_threshold: float = Field(0.6, ge=0, le=1, description="Realism at or above which a scenario is accepted.")
    principles: list[Principle] = Field(min_length=1, description="Principles, each with its weight.")
    bands: Bands = Field(default_factory=Bands, description="Numeric bands of the procedural checks.")


class JudgePrinciples(_Model):
    """The judge's standards."""

    realism_weight: float = Field(0.4, ge=0, description="Weight of realism in a candidate's utility.")
    evasion_weight: float = Field(0.6, ge=0, description="Weight of evasion in a candidate's utility.")
    realism_floor: float = Field(0.5, ge=0, le=1, description="Below this realism a candidate loses to any candidate above it.")
    tie_margin: float = Field(0.01, ge=0, description="Utilities closer than this are a tie.")
    principles: list[Principle] = Field(min_length=1, description="Principles in words.")


class Principles(_Model):
    """Everything in a principles file."""

    critic: CriticPrinciples = Field(description="The realism critic's principles.")
    judge: JudgePrinciples = Field(description="The judge's principles.")

    def critic_text(self) -> str:
        return "\n".join(f"- {p.name}: {p.text}" for p in self.critic.principles)

    def judge_text(self) -> str:
        return "\n".join(f"- {p.name}: {p.text}" for p in self.judge.principles)


def load_principles(path: str | Path | None = None) -> Principles:
    """The principles in ``path``, or the shipped `agents/principles.toml`.

    Raises:
        ConfigError: the file is missing, not TOML, or breaks a rule (field named).
    """
    if path is None:
        return _default()
    return _parse(Path(path).read_text() if Path(path).is_file() else _missing(path), str(path))


def _missing(path) -> str:
    raise ConfigError(f"{path}: file not found")


@cache
def _default() -> Principles:
    return _parse(resources.files("agents").joinpath("principles.toml").read_text(), "agents/principles.toml")


def _parse(text: str, where: str) -> Principles:
    try:
        return Principles.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{where}: not valid TOML: {err}") from None
    except ValidationError as err:
        e = err.errors()[0]
        loc = ".".join(str(x) for x in e["loc"]) or "$"
        raise ConfigError(f"{where}: {loc}: {e['msg']}") from None


__all__ = ["Bands", "CriticPrinciples", "JudgePrinciples", "Principle", "Principles", "load_principles"]
