"""Reference data shared by the World and the compiler: jurisdictions and exchange rates."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from graph_schema.tables import CURRENCIES


@dataclass(frozen=True)
class Jurisdiction:
    code: str
    currency: str
    weight: float
    offshore: bool


@cache
def _load() -> dict:
    text = resources.files("graph_schema").joinpath("data/jurisdictions.toml").read_text()
    return tomllib.loads(text)


@cache
def jurisdictions() -> tuple[Jurisdiction, ...]:
    """Known jurisdictions, largest first."""
    rows = [
        Jurisdiction(j["code"], j["currency"], float(j["weight"]), bool(j.get("offshore", False)))
        for j in _load()["jurisdiction"]
    ]
    return tuple(sorted(rows, key=lambda j: -j.weight))


@cache
def usd_per_unit() -> np.ndarray:
    """Value in US dollars of one unit of each currency, indexed like CURRENCIES."""
    rates = _load()["usd_per_unit"]
    return np.array([float(rates[c]) for c in CURRENCIES], dtype=np.float64)


def convert(amount: np.ndarray | float, src_cur: np.ndarray | int, dst_cur: np.ndarray | int):
    """Convert amounts between currency codes (indices into CURRENCIES)."""
    rate = usd_per_unit()
    return amount * rate[src_cur] / rate[dst_cur]


BITCOIN = CURRENCIES.index("Bitcoin")
USD = CURRENCIES.index("US Dollar")


def in_usd(amount: float, currency: str) -> float:
    """An amount of the currency named ``currency`` (AMLworld's name) in US dollars."""
    return float(convert(float(amount), CURRENCIES.index(currency), USD))


def round_money(amount: np.ndarray, currency: np.ndarray) -> np.ndarray:
    """Round to cents, or to 1e-6 for Bitcoin (what the AMLworld writer prints)."""
    cents = np.round(amount, 2)
    return np.where(currency == BITCOIN, np.round(amount, 6), cents)
