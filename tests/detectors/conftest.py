"""Tiny Worlds with a planted, easy pattern for fast detector tests."""

from __future__ import annotations

import numpy as np
import pytest

from detectors import from_ledger, temporal_split
from graph_schema import compile, inject
from graph_schema.typologies import library
from graph_schema.world import WorldConfig, generate_world


def planted_world(template: str = "fan_out", scenarios: int = 45, accounts: int = 1500, seed: int = 5):
    """A small World plus many instances of one template, spread over the period."""
    w = generate_world(WorldConfig(accounts=accounts, days=10, seed=seed))
    rng = np.random.default_rng(seed)
    compiled = []
    t = library()[template]
    while len(compiled) < scenarios:
        params = t.sample_params(rng)
        if template == "fan_out":  # plant the easy version: many recipients, new accounts
            params.update(n=int(rng.integers(10, 16)), hijack_every=99, spread_h=6.0)
        try:
            compiled.append(compile(t.render(params), w, seed=len(compiled)))
        except Exception:  # noqa: BLE001 - a variant that does not fit is simply redrawn
            continue
    return inject(w, compiled)


@pytest.fixture(scope="session")
def planted():
    w = planted_world()
    data = from_ledger(w.ledger, w.n_accounts)
    return w, data, temporal_split(data)
