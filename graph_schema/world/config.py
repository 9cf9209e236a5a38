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
