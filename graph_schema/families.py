"""Typology families: the coarse niches that the archive, the principles' funds floors and
the diversity measures group typologies by.

`lone_illicit` is a family of its own: a single payment is judged against single
payments, never against multi-transfer operations.
"""

from __future__ import annotations

from graph_schema.enums import Typology

FAMILY: dict[str, list[Typology]] = {
    "fan": [Typology.FAN_IN, Typology.FAN_OUT, Typology.FUNNEL],
    "chain": [Typology.STACK, Typology.RANDOM, Typology.CYCLE, Typology.ROUND_TRIPPING],
    "network": [Typology.BIPARTITE, Typology.SCATTER_GATHER, Typology.GATHER_SCATTER, Typology.MULE_NETWORK],
    "cash": [Typology.STRUCTURING, Typology.COMMINGLING],
    "cross_border": [
        Typology.SHELL_LAYERING,
        Typology.TRADE_BASED,
        Typology.NESTED_MSB,
        Typology.CRYPTO_RAMP,
    ],
    "lone": [Typology.LONE_ILLICIT],
}
FAMILY_OF: dict[Typology, str] = {t: f for f, ts in FAMILY.items() for t in ts}


def family_of(typology: Typology | str) -> str:
    """The family of a typology."""
    return FAMILY_OF[Typology(typology)]


__all__ = ["FAMILY", "FAMILY_OF", "family_of"]
