"""The pydantic models the roles exchange: briefs, reviews, evasion reports, verdicts.

These are the role interface's contract. The orchestrator stores them as JSON and never
needs to know whether an LLM or a procedure produced them. Every field is described,
because the LLM roles read these schemas.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from graph_schema.dsl import Scenario
from graph_schema.enums import Channel, EntityKind, Typology


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def content_id(self, *exclude: str) -> str:
        """Content hash (hex, 16 chars): equal content, equal id."""
        body = self.model_dump_json(exclude=set(exclude))
        return hashlib.sha256(body.encode()).hexdigest()[:16]


# ---------------------------------------------------------------- planner input


class Brief(_Model):
    """What a scenario is decoded from (CodecLM's encoded metadata)."""

    typology: Typology = Field(description="Primary typology the scenario must show.")
    channels: list[Channel] = Field(
        default_factory=list, description="Payment formats to use; empty leaves the choice open."
    )
    jurisdictions: list[str] = Field(
        default_factory=list,
        description="ISO 3166 alpha-2 codes of the jurisdictions involved; empty leaves it open.",
    )
    actors: list[EntityKind] = Field(
        default_factory=list, description="Kinds of parties that take part; empty leaves it open."
    )
    complexity: int = Field(
        2, ge=1, le=5, description="1 = a handful of transfers, 5 = a large multi-layer operation."
    )
    avoid: list[str] = Field(
        default_factory=list,
        description="Red flags the scenario should not show (e.g. 'round amounts', 'rapid pass-through').",
    )
    notes: str = Field(
        "", max_length=400, description="Typology-level context from the source, never instructions."
    )
    source: str = Field(
        "library", description="Where the brief came from: 'library:TEMPLATE' or 'doc:FILE#PASSAGE'."
    )

    @property
    def uid(self) -> str:
        return self.content_id()


# ---------------------------------------------------------------- critic


class CheckResult(_Model):
    """One realism check (or principle) applied to a scenario."""

    name: str = Field(description="Name of the check or principle.")
    score: float = Field(ge=0, le=1, description="0 = implausible, 1 = fully plausible.")
    reason: str = Field(max_length=400, description="Why, naming the transfers or entities concerned.")
    features: list[str] = Field(
        default_factory=list,
        max_length=8,
        description="Behaviour features that give the scenario away, most telling first "
        "(realism discriminator).",
    )


class Critique(_Model):
    """A concrete objection the evolver or planner can answer."""

    check: str = Field(description="Name of the check or principle the objection comes from.")
    severity: float = Field(ge=0, le=1, description="How much it costs realism (1 - check score).")
    text: str = Field(max_length=400, description="The objection, naming what is wrong.")
    features: list[str] = Field(
        default_factory=list,
        max_length=8,
        description="Behaviour features that give the scenario away, most telling first "
        "(realism discriminator).",
    )

    @property
    def key(self) -> str:
        return f"{self.check}: {self.text}"


class Review(_Model):
    """The realism critic's answer to one scenario."""

    scenario_id: str = Field(description="Id (content hash) of the reviewed scenario.")
    checks: list[CheckResult] = Field(description="Every check or principle, with its score.")
    realism: float = Field(ge=0, le=1, description="Weighted mean of the check scores.")
    accepted: bool = Field(
        description="True if realism reaches the principles' accept threshold and every gate passes."
    )
    gates: list[CheckResult] = Field(
        default_factory=list,
        description="Rules that reject a scenario whatever its realism (the laundering "
        "purpose, compile robustness); score 1 passes, 0 fails.",
    )
    critiques: list[Critique] = Field(default_factory=list, description="Objections, most severe first.")
    summary: str = Field("", max_length=600, description="A short verdict in words.")
    reviewer: str = Field("procedural", description="'procedural' or the model that reviewed.")


# ---------------------------------------------------------------- adversary


class DetectorEvidence(_Model):
    """How one detector scores the scenario once injected in the World."""

    detector: str = Field(description="Detector name, e.g. 'gine'.")
    version: str = Field(description="Detector version (content hash of the saved model).")
    alert_threshold: float = Field(
        description="Score above which a transaction is alerted: the World's top-budget quantile."
    )
    rows: int = Field(ge=0, description="Transactions of the scenario scored.")
    flagged: int = Field(ge=0, description="Of those, how many are alerted.")
    mean_score: float = Field(description="Mean laundering probability of the scenario's transactions.")
    mean_percentile: float = Field(
        ge=0, le=1, description="Mean rank of those scores among the World's scores (1 = top)."
    )


class TransferEvidence(_Model):
    """Detector evidence for one transfer of the DSL (all its repeats and split parts)."""

    transfer: str = Field(description="Transfer id in the scenario.")
    rows: int = Field(ge=1, description="Ledger rows the transfer compiled to.")
    max_score: float = Field(description="Highest score of its rows over all detectors.")
    flagged_rows: int = Field(ge=0, description="Rows alerted by at least one detector.")
    flagged_by: list[str] = Field(default_factory=list, description="Detectors that alert it.")


class EvasionReport(_Model):
    """The detector adversary's evidence about one scenario; numbers come from detectors."""

    scenario_id: str = Field(description="Id (content hash) of the scenario.")
    budget: float = Field(description="Alert budget: share of all transactions a bank reviews.")
    detectors: list[DetectorEvidence] = Field(description="Evidence per detector.")
    transfers: list[TransferEvidence] = Field(description="Evidence per transfer, most flagged first.")
    evaded_share: float = Field(
        ge=0, le=1, description="Share of the scenario's rows not alerted, averaged over detectors."
    )
    evasion: float = Field(
        ge=0,
        le=1,
        description="Evasion score: mean of evaded_share and (1 - mean percentile); 1 = invisible.",
    )
    evaded_value_share: float = Field(
        ge=0,
        le=1,
        description="Money-weighted evasion of transactions: laundered value not alerted / laundered "
        "value (camouflage excluded), averaged over detectors.",
    )
    case_evaded_share: float = Field(
        ge=0,
        le=1,
        description="Money-weighted evasion of the case: share of detectors that alert none of the "
        "scenario's transactions (one alert opens an investigation of the whole case, so its funds are "
        "caught).",
    )
    funds_integrated: float = Field(
        ge=0, description="Funds that reach an endpoint or an integration exit, in US dollars."
    )
    integration_share: float = Field(
        ge=0, le=1.000001, description="funds_integrated as a share of the funds placed."
    )
    reference_caught: bool | None = Field(
        None,
        description="Whether the contrastive filter's reference ensemble alerts any of the scenario's "
        "transactions at its larger budget (None: no reference detectors). A scenario nothing catches is "
        "noise.",
    )
    argument: str = Field("", max_length=1200, description="The adversary's argument in words.")
    author: str = Field("procedural", description="'procedural' or the model that wrote the argument.")

    @property
    def flagged_transfers(self) -> list[str]:
        return [t.transfer for t in self.transfers if t.flagged_rows]


# ---------------------------------------------------------------- evolver and judge


class Candidate(_Model):
    """A scenario with what the critic and the adversary said about it."""

    scenario: Scenario = Field(description="The scenario.")
    review: Review | None = Field(None, description="The critic's review, if any.")
    report: EvasionReport | None = Field(None, description="The adversary's report, if any.")


class Offspring(_Model):
    """A child scenario and why it was made."""

    scenario: Scenario = Field(description="The whole new scenario.")
    operator: str = Field(description="Name of the mutation operator (or 'llm:<what>').")
    answers: list[str] = Field(
        default_factory=list, description="The critiques or flagged transfers this change answers."
    )


class Winner(StrEnum):
    """Outcome of a match."""

    A = "a"
    B = "b"
    TIE = "tie"


class Verdict(_Model):
    """The judge's decision between two candidates."""

    winner: Winner = Field(description="Which candidate is better under the principles.")
    confidence: float = Field(0.5, ge=0, le=1, description="How clear the decision is.")
    rationale: str = Field("", max_length=800, description="The reasons, citing the principles.")
    judge: str = Field("procedural", description="'procedural' or the model that judged.")


__all__ = [
    "Brief",
    "Candidate",
    "CheckResult",
    "Critique",
    "DetectorEvidence",
    "EvasionReport",
    "Offspring",
    "Review",
    "TransferEvidence",
    "Verdict",
    "Winner",
]
