"""A scenario that rides background payments is scored as those payments, labelled: exactly
as in the World it is injected into, not as duplicates beside them."""

from __future__ import annotations

import numpy as np
import pytest

from detectors import from_ledger, make, temporal_split
from graph_schema.baseline import inject_baseline
from graph_schema.compiler.core import compile_those_that_fit
from graph_schema.world.inject import inject
from tests.graph_schema.test_rides import ride_doc


@pytest.fixture(scope="module")
def world_and_ride(small_world):
    world = inject_baseline(small_world, 0.01, 1)
    for seed in range(40):
        got = compile_those_that_fit([ride_doc()], world, seed)
        if got and got[0].rides:
            return world, got[0]
    pytest.fail("no compile seed let the business ride its payments")


@pytest.mark.parametrize("name, options", [("gine", {"epochs": 1}), ("lightgbm", {})])
def test_riding_scores_equal_the_injected_worlds(world_and_ride, name, options):
    world, c = world_and_ride
    data = from_ledger(world.ledger, world.n_accounts)
    det = make(name, **options).fit(data, temporal_split(data))
    wg = det.prepare(data)
    after = inject(world, [c])
    full = np.asarray(det.score(from_ledger(after.ledger, after.n_accounts)))
    mine = np.array(after.ledger.column("scenario_id").to_pylist(), dtype=object) == c.scenario_id
    got = np.asarray(det.score_injected(wg, c))
    assert len(got) == c.rows.num_rows
    assert np.allclose(np.sort(got), np.sort(full[mine]), rtol=1e-4, atol=1e-5)
    assert np.allclose(det.score_many(wg, [c])[0], got)
    if name == "gine":  # the same rows added beside the payments they are would score otherwise
        assert not np.allclose(np.asarray(det.score_injected(wg, c.rows)), got, rtol=1e-4, atol=1e-5)
