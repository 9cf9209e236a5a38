"""The scenario DSL: declarative, typed, and never executed.

Every field carries a description because that text is what an LLM planner reads in the
JSON schema (`Scenario.model_json_schema()`); the schema is never written by hand.
Semantic rules that need the whole document or a World (unknown entity, timing cycles,
money forwarded before it arrives, horizon) are checked by `graph_schema.compiler`.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_serializer

from graph_schema.enums import (
    Channel,
    Currency,
    DelayDist,
    EntityKind,
    Profile,
    Purpose,
    Role,
    Typology,
)

Ident = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9_]{0,39}$",
        description="Identifier: lower-case letters, digits and underscores, starting with a letter.",
    ),
]

NARRATIVE_MAX_CHARS = 400
MAX_ENTITIES = 200
MAX_TRANSFERS = 400


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


# ---------------------------------------------------------------- entities


class NewAccount(_Model):
    """A fresh account opened for the operation, as a legitimate account of a profile is opened
    (the World opens such accounts too, so a new account alone is no tell)."""

    mode: Literal["new"] = Field("new", description="Open a new account for this entity.")
    profile: Profile | None = Field(
        None,
        description="Behavioural profile the account is opened as; its mimicked amounts then follow "
        "that profile. Empty takes the usual profile of the entity's kind (person: salaried, business "
        "and shell company: small_business, money service: money_service, exchange: crypto_exchange).",
    )

    @field_validator("profile")
    @classmethod
    def _real_profile(cls, v: Profile | None) -> Profile | None:
        if v in (Profile.CASH_DESK, Profile.UNKNOWN):
            raise ValueError(f"'{v.value}' is not a profile an account can be opened as")
        return v


class HijackedAccount(_Model):
    """An existing background account taken over (a mule or a compromised account)."""

    mode: Literal["hijack"] = Field(
        "hijack", description="Reuse a real background account of the given profile."
    )
    profile: Profile = Field(
        description="Behavioural profile of the background account to take over; the "
        "compiler picks one such account deterministically, so the operation's flows mix "
        "with that account's normal history."
    )


Recruit = Annotated[NewAccount | HijackedAccount, Field(discriminator="mode")]


class Entity(_Model):
    """A party of the operation, mapped to exactly one account."""

    id: Ident = Field(description="Unique id of the entity within the scenario.")
    kind: EntityKind = Field(description="What kind of party this is.")
    role: Role = Field(Role.LAYER, description="Part this entity plays in the operation.")
    jurisdiction: str = Field(
        "US",
        pattern=r"^[A-Z]{2}$",
        description="ISO 3166 alpha-2 country of the account's bank; the World must have a bank there.",
    )
    bank: int | None = Field(
        None,
        ge=0,
        description="Index of the World bank holding the account; empty lets the compiler "
        "pick a bank of the jurisdiction.",
    )
    recruit: Recruit = Field(
        default_factory=NewAccount,
        description="How the account is obtained: a new account, or a hijacked background account.",
    )
    initial_funds: bool = Field(
        False,
        description="True if this entity holds the illicit proceeds at the start (a share "
        "of `funds_placed`); other entities can only forward money they have received.",
    )


# ---------------------------------------------------------------- amounts


class FixedAmount(_Model):
    """Exactly this amount, in the scenario's currency."""

    kind: Literal["fixed"] = Field("fixed", description="A fixed amount.")
    value: float = Field(gt=0, description="Amount in the scenario's base currency.")


class RangeAmount(_Model):
    """An amount drawn log-uniformly between two bounds."""

    kind: Literal["range"] = Field("range", description="A random amount in a range.")
    low: float = Field(gt=0, description="Smallest amount, in the scenario's base currency.")
    high: float = Field(gt=0, description="Largest amount, in the scenario's base currency.")


class FractionAmount(_Model):
    """A fraction of everything the source has received so far in this operation."""

    kind: Literal["fraction"] = Field("fraction", description="A share of what the source received.")
    fraction: float = Field(
        gt=0,
        le=1,
        description="Share (0-1] of the total the source has received (or was placed) by the "
        "time of this transfer.",
    )


class SplitAmount(_Model):
    """A total split into N transfers, each kept under a threshold (structuring)."""

    kind: Literal["split"] = Field("split", description="Split a total into parts under a threshold.")
    total: Annotated[FixedAmount | RangeAmount | FractionAmount, Field(discriminator="kind")] = Field(
        description="The total to split, as a fixed, range or fraction amount."
    )
    parts: int = Field(ge=2, le=100, description="Number of transfers the total is split into.")
    under: float = Field(
        gt=0, description="Every part stays strictly below this amount (e.g. a reporting threshold)."
    )


class MimicAmount(_Model):
    """Payments sized like the paying account's own, under a total (blending in)."""

    kind: Literal["mimic"] = Field(
        "mimic", description="Parts drawn from the paying account's own payment amounts."
    )
    total: Annotated[FixedAmount | RangeAmount | FractionAmount, Field(discriminator="kind")] = Field(
        description="The most the parts may add up to, as a fixed, range or fraction amount."
    )
    parts: int = Field(
        ge=1,
        le=100,
        description="Number of payments. Each is drawn from the paying account's own past payments on "
        "the transfer's channel (on any channel if it has none there; for an account without history, "
        "from the payments of accounts of its profile on the channel); if they add up to more than "
        "the total, all are scaled down by the same factor.",
    )


AmountSpec = Annotated[
    FixedAmount | RangeAmount | FractionAmount | SplitAmount | MimicAmount, Field(discriminator="kind")
]

#: amount kinds paid in several parts under a total
PARTED = ("split", "mimic")


def sizing(amount) -> FixedAmount | RangeAmount | FractionAmount:
    """The amount spec that sizes a transfer in all: a split's or mimic's total, else the amount."""
    return amount.total if amount.kind in PARTED else amount


def parts_of(amount) -> int:
    """Occurrences per repeat: the parts of a split or mimic amount, else one."""
    return amount.parts if amount.kind in PARTED else 1


# ---------------------------------------------------------------- timing


class Delay(_Model):
    """A random delay in hours."""

    dist: DelayDist = Field(DelayDist.UNIFORM, description="Distribution family of the delay.")
    low: float = Field(
        0.0, ge=0, description="fixed: the delay; uniform: lower bound; others: minimum added."
    )
    high: float = Field(
        24.0, ge=0, description="uniform: upper bound; exponential and lognormal: the mean delay."
    )


class Timing(_Model):
    """When a transfer happens, relative to other transfers of the scenario."""

    after: list[Ident] = Field(
        default_factory=list,
        description="Ids of transfers that must all have completed first (their last repeat); "
        "empty means relative to the start of the operation.",
    )
    delay: Delay = Field(default_factory=Delay, description="Wait after `after` (or after the start).")
    repeats: int = Field(1, ge=1, le=100, description="How many times the transfer is made.")
    every: Delay | None = Field(
        None,
        description="Gap between repeats and between the parts of a split or mimic amount; empty means "
        "1-12 hours.",
    )
    calendar: bool = Field(
        False,
        description="Move every occurrence, after its delay, to the next time the World's calendar makes "
        "usual for the transfer's channel (its weekday and hour profile, month ends, holidays), as "
        "legitimate payments of that channel are timed.",
    )


# ---------------------------------------------------------------- transfers and scenario


class Transfer(_Model):
    """One money movement (possibly repeated or split) between two entities."""

    id: Ident = Field(description="Unique id of the transfer within the scenario.")
    src: Ident = Field(description="Id of the paying entity.")
    dst: Ident = Field(description="Id of the receiving entity (may equal src for Reinvestment).")
    amount: AmountSpec = Field(description="How much is paid, in the scenario's base currency.")
    channel: Channel = Field(Channel.WIRE, description="Payment format (AMLworld's set).")
    currency: Currency | None = Field(
        None, description="Payment currency; empty means the paying account's home currency."
    )
    timing: Timing = Field(default_factory=Timing, description="When the transfer happens.")
    purpose: Purpose = Field(
        Purpose.TRANSFER,
        description="What the transfer pretends to be; `camouflage` transfers mimic normal "
        "behaviour and are paid from the account's own legitimate funds.",
    )
    ride: bool = Field(
        False,
        description="Commingle: the money rides the payer's own legitimate payments to the payee on "
        "this channel instead of new payments. Each occurrence is carried by the payer's next such "
        "payment in the World at or after its time, with that payment's time and amount, and carries "
        "what the amount spec says, at most that payment and what the payer holds of the operation's "
        "funds; an occurrence no payment carries, or whose payer holds none of the funds, is not "
        "made. The payee is resolved among the payer's usual payees. If the payer pays no one on the "
        "channel, or never the payee after the ride's time, the transfer is paid as an ordinary one, "
        "at most what the payer holds. Payer and payee must be hijacked, and the payer must not hold "
        "initial funds: the proceeds enter by payments of their own.",
    )
    usual_channel: bool = Field(
        False,
        description="Blend in: the transfer is paid on a channel drawn, when the payer's account is "
        "known, from the channels its own legitimate payments use (ACH, Wire, Cheque, Credit Card, in "
        "their shares; for an account without such payments, its profile's shares). `channel` is then "
        "only the fallback for a payer whose profile pays on none of them. Not with `ride`, a "
        "Reinvestment or a Bitcoin payment.",
    )
    round_like_payer: bool = Field(
        False,
        description="Blend in: each payment is rounded down, in its payer's currency, to a human unit "
        "of its scale (losing at most a tenth) as often as the payer's own payments on its channel are "
        "round sums (its profile's, for an account without payments). Without it, `mimic` parts are "
        "rounded in the base currency, as in scenarios released before it. Not with `ride` or Bitcoin.",
    )

    @model_serializer(mode="wrap")
    def _omit_unset_flags(self, handler):
        # the blending flags are written only when set, so that scenarios without them keep
        # their bytes and ids
        out = handler(self)
        if isinstance(out, dict):
            for flag in ("ride", "usual_channel", "round_like_payer"):
                if not getattr(self, flag):
                    out.pop(flag, None)
        return out


class Lineage(_Model):
    """Where a scenario comes from in the evolutionary search."""

    parents: list[str] = Field(default_factory=list, description="Ids of parent scenarios.")
    operator: str | None = Field(
        None, description="Name of the template or mutation operator that produced it."
    )
    generation: int = Field(0, ge=0, description="0 for seeds, parent generation + 1 for children.")


class Scenario(_Model):
    """A laundering operation as declarative data: entities, transfers, and metadata."""

    name: str = Field(max_length=80, description="Short synthetic title of the scenario.")
    typology: list[Typology] = Field(
        min_length=1, max_length=4, description="Typology tags; the first is the primary one."
    )
    narrative: str = Field(
        "",
        max_length=NARRATIVE_MAX_CHARS,
        description="Typology-level description in at most a few sentences, as in a public "
        "typology report; never operational instructions.",
    )
    currency: Currency = Field(Currency.USD, description="Base currency of every amount spec.")
    funds_placed: float = Field(
        gt=0, description="Illicit proceeds to launder, shared equally by entities with initial funds."
    )
    horizon_days: float = Field(
        gt=0, le=365, description="All transfers happen within this many days of the start."
    )
    entities: list[Entity] = Field(
        min_length=1, max_length=MAX_ENTITIES, description="Parties of the operation."
    )
    transfers: list[Transfer] = Field(
        min_length=1, max_length=MAX_TRANSFERS, description="Money movements of the operation."
    )
    lineage: Lineage = Field(default_factory=Lineage, description="Provenance in the search.")

    @property
    def uid(self) -> str:
        """Content hash of the scenario (lineage excluded): equal content, equal id."""
        body = self.model_dump_json(exclude={"lineage"})
        return hashlib.sha256(body.encode()).hexdigest()[:16]

    @property
    def primary_typology(self) -> Typology:
        return self.typology[0]


def scenario_json_schema() -> dict:
    """The JSON schema of the DSL, generated from the models (for prompts and docs)."""
    return Scenario.model_json_schema()
