"""Run-config sections of the loop's stages and of the adversaries besides the deployed
detectors: the contrastive filter's reference ensemble and the realism discriminator."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContrastiveConfig(_Model):
    """The contrastive filter (CodecLM's filter stage): keep the accepted candidates that the
    deployed detectors miss but a strong reference catches; a scenario that no detector could
    ever catch is noise for training, not a hard and learnable example."""

    enabled: bool = Field(
        True, description="Apply the filter before the tournament; off keeps every accepted candidate."
    )
    reference: list[str] = Field(
        ["sage"],
        description="Reference detectors, trained with the deployed ones (and retrained with the elites "
        "at co-evolution); together with the deployed detectors they form the reference ensemble.",
    )
    budget: float = Field(
        0.02,
        gt=0,
        lt=1,
        description="Alert share of the reference ensemble: a scenario is caught by the reference "
        "when any of its transactions is in any reference or deployed detector's top `budget` of the "
        "World's scores.",
    )


class RealismConfig(_Model):
    """The realism discriminator inside the loop (`detectors.discriminator`): LightGBM on the
    behaviour features of the C2ST, the scenarios' accounts against matched legitimate
    accounts of the run's World. Its score is the critic's `realism_discriminator` check."""

    enabled: bool = Field(True, description="Fit the discriminator and let the critic consult it.")
    period: int = Field(
        2,
        ge=0,
        description="Refit it every this many rounds on the run's recent scenarios; 0 keeps the first fit.",
    )
    templates: int = Field(
        60, ge=2, le=2000, description="Baseline typology instances that every fit includes as positives."
    )
    history: int = Field(
        300, ge=0, le=100_000, description="Most recent scenarios of the run that a refit adds as positives."
    )
    controls: int = Field(3, ge=1, le=20, description="Matched legitimate accounts per scenario account.")
    trees: int = Field(150, ge=10, le=2000, description="Boosting rounds of the discriminator.")


class StagesConfig(_Model):
    """Switches of the loop's stages, for ablations (every one on in a normal run)."""

    brief_encoding: bool = Field(
        True,
        description="Give the planner the whole encoded brief (channels, jurisdictions, actors, complexity, "
        "red flags to avoid); off gives it only the typology name.",
    )
    critic_gate: bool = Field(
        True,
        description="A candidate the critic rejects stays out of the tournament and the archive; off keeps "
        "the critic's realism score and objections but never rejects.",
    )


__all__ = ["ContrastiveConfig", "RealismConfig", "StagesConfig"]
