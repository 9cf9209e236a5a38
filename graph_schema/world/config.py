"""Configuration of a background World (TOML + pydantic; every field is described)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, model_validator

from graph_schema.enums import Profile

DEFAULT_PROFILE_MIX: dict[Profile, float] = {
    Profile.STUDENT: 0.11,
    Profile.SALARIED: 0.43,
    Profile.RETIREE: 0.13,
    Profile.SELF_EMPLOYED: 0.09,
    Profile.SMALL_BUSINESS: 0.12,
    Profile.LARGE_BUSINESS: 0.015,
    Profile.MERCHANT: 0.05,
    Profile.MONEY_SERVICE: 0.005,
}


class LegitMix(BaseModel):
    """Rates of the legitimate typologies (hard negatives); 0 turns one off."""

    model_config = ConfigDict(extra="forbid")

    payroll_fan_out: float = Field(
        0.5, ge=0, le=30, description="Contractor payroll runs per business per month: one day, 5-40 "
        "persons, similar amounts by ACH.")
    supplier_fan_in: float = Field(
        0.5, ge=0, le=30, description="Invoice settlement runs per large business per month: 5-30 small "
        "businesses pay it within three business days.")
    group_sweep: float = Field(
        0.8, ge=0, le=1, description="Chance that a subsidiary sweeps its balance to its group's parent at "
        "a month end (a sixth of small businesses belong to a group of a large business).")
    group_cycle: float = Field(
        0.3, ge=0, le=30, description="Intra-group loan cycles per group per month: parent -> subsidiary -> "
        "subsidiary -> parent within days, each hop keeping most of the amount.")
    property: float = Field(
        0.004, ge=0, le=1, description="Property purchases per person per month: buyer -> escrow agent -> "
        "seller within five days.")
    trade: float = Field(
        0.3, ge=0, le=30, description="Import payments per business per month: cross-border wires of large "
        "round amounts to a foreign supplier, in one to three instalments.")
    remittance_chain: float = Field(
        0.3, ge=0, le=30, description="Chained remittances per remitter per month: person -> money service "
        "-> foreign money service -> person abroad.")
    cash_business: float = Field(
        0.25, ge=0, le=1, description="Share of merchants and small businesses that deposit cash nearly "
        "every business day, sometimes just under 10,000 USD.")
    openings: float = Field(
        0.03, ge=0, lt=1, description="Share of customer accounts opened during the period: no activity "
        "before their opening day, like an account opened for laundering.")


class WorldConfig(BaseModel):
    """Size, period and mix of a generated background economy."""

    model_config = ConfigDict(extra="forbid")

    accounts: int = Field(
        20_000, ge=200, le=20_000_000, description="Number of customer accounts (persons and businesses)."
    )
    days: int = Field(10, ge=1, le=366, description="Length of the simulated period in days.")
    seed: int = Field(0, ge=0, description="Seed of every random draw; equal seeds give equal Worlds.")
    banks: int = Field(
        30, ge=5, le=999, description="Number of banks (at least 5 so that 5+ currencies exist)."
    )
    start: dt.date = Field(
        dt.date(2022, 9, 1), description="First day of the period (AMLworld starts on 2022-09-01)."
    )
    tx_per_account_day: float = Field(
        1.0,
        gt=0,
        le=50,
        description="Average transactions per account per day (AMLworld HI-Small has about 1).",
    )
    laundering_share: float = Field(
        0.001,
        ge=0,
        lt=0.5,
        description="Share of transactions that are laundering once baseline typologies are "
        "injected (AMLworld HI is about 0.1%).",
    )
    profile_mix: dict[Profile, float] = Field(
        default_factory=lambda: dict(DEFAULT_PROFILE_MIX),
        description="Share of accounts per behavioural profile; normalised to sum to 1.",
    )
    legit: LegitMix = Field(
        default_factory=LegitMix,
        description="Rates of the legitimate typologies that look like laundering (hard negatives; "
        "`graph_schema/world/legit.py`); all 0 gives the World without them.",
    )
    name: str = Field(
        "World",
        pattern=r"^[A-Za-z0-9_-]{1,40}$",
        description="Prefix of exported files, as in AMLworld's `HI-Small_Trans.csv`.",
    )

    @model_validator(mode="after")
    def _check_mix(self) -> WorldConfig:
        bad = {Profile.CASH_DESK, Profile.CRYPTO_EXCHANGE, Profile.UNKNOWN} & set(self.profile_mix)
        if bad:
            raise ValueError(
                f"profile_mix may not name {sorted(b.value for b in bad)}: the generator adds those itself"
            )
        if any(v < 0 for v in self.profile_mix.values()) or sum(self.profile_mix.values()) <= 0:
            raise ValueError("profile_mix shares must be non-negative and not all zero")
        return self

    @property
    def start_epoch(self) -> int:
        """Start of the period in seconds since the Unix epoch (UTC midnight)."""
        return int(dt.datetime(self.start.year, self.start.month, self.start.day,
                               tzinfo=dt.UTC).timestamp())

    @property
    def end_epoch(self) -> int:
        return self.start_epoch + self.days * 86_400
