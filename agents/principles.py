"""Load the editable principles (`agents/principles.toml`) into typed settings."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from agents.errors import ConfigError
from graph_schema.compiler.flows import DEFAULT_ENDPOINTS, DEFAULT_EXITS
from graph_schema.enums import Purpose, Role
from graph_schema.families import FAMILY

if TYPE_CHECKING:
    from agents.models import Candidate, EvasionReport, Review


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Principle(_Model):
    """One principle: its name, weight (critic only) and the text LLM roles read."""

    name: str = Field(
        pattern=r"^[a-z][a-z0-9_]*$", description="Name; a realism check of this name scores it procedurally."
    )
    weight: float = Field(1.0, ge=0, description="Weight in the critic's realism score.")
    text: str = Field(min_length=1, description="The principle in words, as LLM critics and judges read it.")


class Bands(_Model):
    """Numeric bands the procedural realism checks use."""

    cut_min: float = Field(0.005, ge=0, le=1, description="Smallest plausible share an intermediary keeps.")
    cut_max: float = Field(0.3, ge=0, le=1, description="Largest plausible share an intermediary keeps.")
    amount_quantiles: tuple[float, float] = Field(
        (0.005, 0.995),
        description="Background quantiles an amount must fall between (per profile and channel).",
    )
    business_hours: tuple[int, int] = Field(
        (7, 20), description="Hours [from, to) when wires, ACH and cheques are sent."
    )
    cash_hours: tuple[int, int] = Field((8, 18), description="Hours [from, to) when cash desks are open.")
    mule_profiles: list[str] = Field(
        default_factory=lambda: [
            "student",
            "salaried",
            "retiree",
            "self_employed",
            "small_business",
            "unknown",
        ],
        description="Profiles plausibly recruited or hijacked as mules.",
    )
    max_new_accounts_per_bank: int = Field(
        4, ge=1, description="More new accounts at one bank in one operation is implausible."
    )
    mule_volume_ratio: float = Field(
        5.0,
        gt=0,
        description="A mule moving more than this multiple of its profile's typical monthly volume is "
        "implausible.",
    )
    camouflage_z: float = Field(
        2.5,
        gt=0,
        description="z-score of an account's behaviour against its peers beyond which it stands out.",
    )


class PurposeRules(_Model):
    """The laundering purpose as a rule: placed funds must arrive, in amounts worth laundering."""

    min_integrated_share: float = Field(
        0.8,
        ge=0,
        le=1,
        description="Least share of the placed funds that must reach an endpoint or an "
        "integration exit within the horizon; fees and cuts kept by intermediaries count as spent.",
    )
    endpoint_roles: list[Role] = Field(
        list(DEFAULT_ENDPOINTS),
        min_length=1,
        description="Roles of the entities where laundered money arrives (the originator counts for money "
        "that comes back to it, as in a cycle or round trip).",
    )
    exit_purposes: list[Purpose] = Field(
        list(DEFAULT_EXITS),
        description="Purposes that integrate money when paid to an entity that never pays on (a purchase of "
        "an asset, an investment).",
    )
    funds_floor: dict[str, float] = Field(
        default_factory=lambda: dict.fromkeys(FAMILY, 0.0),
        description="Least funds integrated (US dollars) per typology family; a family left out has no "
        "floor.",
    )

    @field_validator("funds_floor")
    @classmethod
    def _families(cls, v: dict[str, float]) -> dict[str, float]:
        bad = [k for k in v if k not in FAMILY]
        if bad:
            raise ValueError(f"unknown typology family {bad}; known: {list(FAMILY)}")
        if any(x < 0 for x in v.values()):
            raise ValueError("floors are amounts in US dollars and cannot be negative")
        return v


class Robustness(_Model):
    """How hard a scenario must be to break before it is accepted."""

    compile_seeds: int = Field(
        3,
        ge=1,
        le=20,
        description="Compile seeds in the run's World the scenario must "
        "compile under (the critic's own seed and the next ones).",
    )
    second_world: bool = Field(
        True,
        description="Also require it to compile in a second World generated from "
        "the same config with another seed.",
    )


class DiscriminatorGate(_Model):
    """Realism as a constraint, not a term traded against evasion: a scenario whose accounts the
    realism discriminator ranks above ``max_p`` of their matched peers on average (the mean,
    over the scenario's accounts, of the share of legitimate accounts of the same profile
    it finds less laundering-like; 0.5 is a typical peer) is rejected whatever else it scores.
    The bar may tighten over the run: it moves linearly from
    ``start_p`` (the discriminator fitted before round 0) to ``max_p`` (the one fitted after
    round ``rounds - 1`` and every later one), so the planner's first drafts are not all
    rejected at once."""

    max_p: float = Field(
        1.0, ge=0.5, le=1.0,
        description="Highest mean rank of the scenario's accounts among their matched legitimate peers "
        "(0.5: a typical peer) the gate lets through, once annealed; 1 = no gate.",
    )
    start_p: float = Field(
        1.0, ge=0.5, le=1.0,
        description="The bar while the discriminator of the first fit (before round 0) judges.",
    )
    rounds: int = Field(
        0, ge=0,
        description="Rounds over which the bar moves from `start_p` to `max_p`; 0 = `max_p` from the start.",
    )

    @property
    def enabled(self) -> bool:
        return self.max_p < 1.0 or self.start_p < 1.0

    def bar(self, fitted_after: int | None) -> float:
        """The bar for a discriminator fitted after round ``fitted_after`` (-1 or None: before
        round 0)."""
        if not self.rounds:
            return self.max_p
        after = -1 if fitted_after is None else max(fitted_after, -1)
        done = min(1.0, (after + 1) / self.rounds)
        return self.start_p + (self.max_p - self.start_p) * done


class CriticPrinciples(_Model):
    """The critic's standards."""

    accept_threshold: float = Field(
        0.6, ge=0, le=1, description="Realism at or above which a scenario is accepted."
    )
    principles: list[Principle] = Field(min_length=1, description="Principles, each with its weight.")
    bands: Bands = Field(default_factory=Bands, description="Numeric bands of the procedural checks.")
    purpose: PurposeRules = Field(
        default_factory=PurposeRules,
        description="The laundering purpose as a rule "
        "(a gate: failing it rejects the scenario whatever its realism).",
    )
    robustness: Robustness = Field(default_factory=Robustness, description="Compile robustness (a gate too).")
    volume_ratio: float = Field(
        0.0,
        ge=0,
        description="A gate on volume: every account of the scenario may move (the larger of the money it "
        "receives and pays in the operation, USD) at most this many times what a median account of its "
        "profile pays out in the same time (the World's monthly volume, pro rata over the horizon, at least "
        "a month); 0 = no gate.",
    )
    discriminator_gate: DiscriminatorGate = Field(
        default_factory=DiscriminatorGate,
        description="A gate on the realism discriminator's judgement (off unless its bar is below 1).",
    )


class JudgePrinciples(_Model):
    """The judge's standards."""

    realism_weight: float = Field(0.4, ge=0, description="Weight of realism in a candidate's utility.")
    evasion_weight: float = Field(0.6, ge=0, description="Weight of evasion in a candidate's utility.")
    discriminator_weight: float = Field(
        0.0,
        ge=0,
        description="Weight in the utility of the realism discriminator's score (its critic check "
        "`realism_discriminator`, 1 = its accounts pass for their peers); a review without that check "
        "adds 0.",
    )
    realism_floor: float = Field(
        0.5, ge=0, le=1, description="Below this realism a candidate loses to any candidate above it."
    )
    tie_margin: float = Field(0.01, ge=0, description="Utilities closer than this are a tie.")
    evasion_measure: Literal["score", "value", "case", "money", "ensemble"] = Field(
        "money",
        description="The evasion in the utility: 'score' (mean of the unalerted share of transactions and "
        "1 - their mean score percentile), 'value' (undetected laundered value / laundered value), 'case' "
        "(the "
        "funds' share in cases with no alert at all: one alert opens an investigation of the whole case), "
        "'money' (mean of value and case), 'ensemble' (money times the realism discriminator's score: the "
        "adversary is the detectors and the discriminator together, and money evades it only where it "
        "evades the detectors and its accounts pass for their peers; a review without the discriminator's "
        "check counts as passing).",
    )
    principles: list[Principle] = Field(min_length=1, description="Principles in words.")


class Principles(_Model):
    """Everything in a principles file."""

    critic: CriticPrinciples = Field(description="The realism critic's principles.")
    judge: JudgePrinciples = Field(description="The judge's principles.")

    def critic_text(self) -> str:
        return "\n".join(f"- {p.name}: {p.text}" for p in self.critic.principles)

    def judge_text(self) -> str:
        return "\n".join(f"- {p.name}: {p.text}" for p in self.judge.principles)


def discriminator_score(review: Review | None) -> float | None:
    """The realism discriminator's score in ``review`` (its critic check), None without it."""
    if review is None:
        return None
    return next((ch.score for ch in review.checks if ch.name == "realism_discriminator"), None)


def evasion_of(report: EvasionReport, measure: str, review: Review | None = None) -> float:
    """The report's evasion under a judge's `evasion_measure` (``review`` carries the realism
    discriminator's score that 'ensemble' needs)."""
    if measure == "ensemble":
        told = discriminator_score(review)
        money = evasion_of(report, "money")
        return money if told is None else money * told
    if measure == "score":
        return report.evasion
    if measure == "value":
        return report.evaded_value_share
    if measure == "case":
        return report.case_evaded_share
    return 0.5 * (report.evaded_value_share + report.case_evaded_share)


def utility(c: Candidate, p: Principles) -> float:
    """A candidate's utility under the judge principles: weighted realism, evasion and the
    realism discriminator's score.

    Role-neutral: the procedural judge ranks by it, and the archive's quality is it,
    whichever implementation stands behind the judge.
    """
    j = p.judge
    told = discriminator_score(c.review) or 0.0
    evasion = evasion_of(c.report, j.evasion_measure, c.review)
    return j.realism_weight * c.review.realism + j.evasion_weight * evasion + j.discriminator_weight * told


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


__all__ = [
    "Bands",
    "CriticPrinciples",
    "DiscriminatorGate",
    "JudgePrinciples",
    "Principle",
    "Principles",
    "PurposeRules",
    "Robustness",
    "evasion_of",
    "load_principles",
    "utility",
]
