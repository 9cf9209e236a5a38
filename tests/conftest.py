"""Shared fixtures: Worlds are generated once per session (they are deterministic)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import settings

from graph_schema.baseline import inject_baseline
from graph_schema.world import World, WorldConfig, generate_world

# CI replays a fixed set of examples so that a landing never depends on luck; locally,
# hypothesis keeps exploring new examples on every run.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def small_world() -> World:
    """A small background World (3,000 accounts, 10 days) without laundering."""
    return generate_world(WorldConfig(accounts=3000, days=10, seed=11))


@pytest.fixture(scope="session")
def default_world() -> World:
    """The default World configuration with baseline typologies injected."""
    cfg = WorldConfig()
    return inject_baseline(generate_world(cfg), cfg.laundering_share, cfg.seed)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


def fan_doc(**over) -> dict:
    """A small valid scenario document: origin -> two mules -> collector."""
    doc = {
        "name": "test fan",
        "typology": ["fan_out"],
        "funds_placed": 50_000,
        "horizon_days": 6,
        "entities": [
            {"id": "origin", "kind": "person", "role": "originator", "initial_funds": True},
            {"id": "m1", "kind": "person", "role": "mule",
             "recruit": {"mode": "hijack", "profile": "salaried"}},
            {"id": "m2", "kind": "person", "role": "mule", "jurisdiction": "DE"},
            {"id": "boss", "kind": "business", "role": "collector"},
        ],
        "transfers": [
            {"id": "a", "src": "origin", "dst": "m1", "amount": {"kind": "fraction", "fraction": 0.4}},
            {"id": "b", "src": "origin", "dst": "m2", "timing": {"after": ["a"]},
             "amount": {"kind": "split", "parts": 4, "under": 9000,
                        "total": {"kind": "fraction", "fraction": 0.5}}},
            {"id": "c", "src": "m1", "dst": "boss", "timing": {"after": ["a"]},
             "amount": {"kind": "fraction", "fraction": 0.9}},
            {"id": "d", "src": "m2", "dst": "boss", "timing": {"after": ["b"]}, "channel": "ACH",
             "amount": {"kind": "fraction", "fraction": 0.9}},
        ],
    }
    doc.update(over)
    return doc
