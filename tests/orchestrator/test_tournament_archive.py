"""Elo, match ids, the MAP-Elites archive and the store's all-or-nothing writes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents.models import Winner
from graph_schema.typologies import sample_scenario
from orchestrator.archive import FAMILY_OF, Archive, distance, signature
from orchestrator.config import ArchiveConfig
from orchestrator.store import RunStore
from orchestrator.tournament import EloTable, expected, match_id


def test_elo_follows_the_standard_update():
    t = EloTable(1200, 32)
    a, b = t.play("a", "b", Winner.A)
    assert (a, b) == (1216, 1184)
    t.play("a", "b", Winner.TIE)
    assert t.rating("a") + t.rating("b") == pytest.approx(2400)
    assert t.rating("a") < 1216 and t.games["a"] == 2


@given(st.floats(800, 2000), st.floats(800, 2000))
def test_expected_scores_sum_to_one(ra, rb):
    assert expected(ra, rb) + expected(rb, ra) == pytest.approx(1)


def test_match_ids_are_stable_and_order_free():
    assert match_id("x", "y", 3) == match_id("y", "x", 3) != match_id("x", "y", 4)


def test_every_typology_has_a_family():
    from graph_schema.enums import Typology
    assert set(FAMILY_OF) == set(Typology)


def test_archive_cells_coverage_and_novelty():
    cfg = ArchiveConfig()
    arch = Archive(cfg)
    assert arch.n_cells == 5 * 4 * 4
    s = sample_scenario(np.random.default_rng(1), "fan_out")
    t = sample_scenario(np.random.default_rng(2), "stack")
    assert distance(signature(s), signature(s)) == 0
    assert distance(signature(s), signature(t)) > cfg.novelty_threshold
    assert arch.near_duplicate(signature(s)) is None


def test_store_transactions_are_all_or_nothing(tmp_path):
    store = RunStore(tmp_path / "run.sqlite")
    with pytest.raises(RuntimeError), store.transaction():
        store.set_meta("a", "1")
        raise RuntimeError("crash")
    assert store.get_meta("a") is None
    with store.transaction():
        store.set_meta("a", "1")
    assert RunStore(tmp_path / "run.sqlite", readonly=True).get_meta("a") == "1"
