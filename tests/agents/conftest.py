"""Fixtures of the agent tests: a background World, a trained detector, scripted backends."""

from __future__ import annotations

import numpy as np
import pytest

from agents.llm import Backend, BackendConfig, CallCache
from agents.procedural import world_stats
from detectors import from_ledger, make, temporal_split
from graph_schema.baseline import inject_baseline
from graph_schema.typologies import sample_scenario
from graph_schema.world import WorldConfig, generate_world

WORLD = WorldConfig(accounts=3000, days=10, seed=3, laundering_share=0.004)


@pytest.fixture(scope="session")
def world():
    """The background the roles work in (no laundering)."""
    return generate_world(WORLD)


@pytest.fixture(scope="session")
def stats(world):
    return world_stats(world)


@pytest.fixture(scope="session")
def detector():
    """A GINe trained on the same economy with baseline typologies at 0.4% (a few seconds)."""
    w = inject_baseline(generate_world(WORLD), WORLD.laundering_share, WORLD.seed)
    data = from_ledger(w.ledger, w.n_accounts)
    return make("gine", epochs=30).fit(data, temporal_split(data))


@pytest.fixture(scope="session")
def adversary(world, detector):
    from agents.procedural import DetectorAdversary
    return DetectorAdversary(world, {"gine": detector}, {"gine": "test"})


@pytest.fixture
def scenario():
    return sample_scenario(np.random.default_rng(1), "fan_out")


@pytest.fixture
def scripted(tmp_path):
    """scripted([...answers], **backend fields) -> a started Backend with a call cache."""
    def make_backend(script: list[str], cache: bool = True, **fields) -> Backend:
        cfg = BackendConfig(kind="scripted", script=script, **{"backoff_s": 0.01, **fields})
        return Backend(cfg, cache=CallCache(tmp_path / "calls.sqlite") if cache else None).start()
    return make_backend


def paired_drafts(a, b, typologies, samples: int = 2):
    """Drafts of planners ``a`` and ``b`` for the same briefs (each typology at complexity 2),
    as pairs, the funds the same in both."""
    import asyncio

    from agents.models import Brief

    for t in typologies:
        for k in range(samples):
            x = asyncio.run(a.plan(Brief(typology=t, complexity=2), k))
            y = asyncio.run(b.plan(Brief(typology=t, complexity=2), k))
            assert y.funds_placed == x.funds_placed
            yield x, y
