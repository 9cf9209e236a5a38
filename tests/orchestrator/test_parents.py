"""Rainbow Teaming's parent selection: cells drawn less often, or improved recently, are
drawn more; the counts survive a resume; 'uniform' draws as runs always did."""

from __future__ import annotations

from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.engine.config import ParentsConfig
from orchestrator.engine.parents import ParentPicker

CELLS = [f"fan|c{i}|v1" for i in range(6)]


def test_a_cell_drawn_often_is_drawn_less_and_a_fresh_improvement_more():
    drawn = Counter()
    for r in range(600):
        q = ParentPicker(ParentsConfig(recent_bonus=0.0))
        q.visits = {CELLS[0]: 9}
        drawn[CELLS[q.pick(r, CELLS, 1, np.random.default_rng(r))[0]]] += 1
    assert drawn[CELLS[0]] < 0.5 * min(drawn[c] for c in CELLS[1:])  # weight 0.1 against 1
    improved = Counter()
    for r in range(600):
        q = ParentPicker(ParentsConfig(recent_rounds=3, recent_bonus=2.0))
        q.close(1, {c: "old" for c in CELLS})
        q.close(5, {**{c: "old" for c in CELLS}, CELLS[3]: "new"})  # only cell 3 changed, in round 5
        improved[CELLS[q.pick(7, CELLS, 1, np.random.default_rng(r))[0]]] += 1
    assert improved[CELLS[3]] > 2 * max(improved[c] for c in CELLS if c != CELLS[3])


def test_visits_accumulate_and_the_state_restores_to_the_same_draws():
    p = ParentPicker(ParentsConfig())
    for r in range(1, 6):
        p.pick(r, CELLS, 2, np.random.default_rng([5, r]))
        p.close(r, {c: f"e{r if c == CELLS[r % 6] else 0}" for c in CELLS})
    assert sum(p.visits.values()) == 10
    q = ParentPicker(ParentsConfig())
    q.restore(p.state())
    assert q.pick(6, CELLS, 2, np.random.default_rng(9)) == p.pick(6, CELLS, 2, np.random.default_rng(9))


def test_uniform_draws_as_before_rainbow_existed():
    p = ParentPicker(ParentsConfig(selection="uniform"))
    p.visits = {CELLS[0]: 100}
    for r in range(20):
        rng, old = np.random.default_rng([3, r, 0]), np.random.default_rng([3, r, 0])
        assert p.pick(r, CELLS, 2, rng) == sorted(old.choice(len(CELLS), size=2, replace=False).tolist())


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 50), min_size=1, max_size=12), st.integers(1, 3), st.integers(0, 10**6))
def test_picks_are_distinct_valid_and_never_more_than_the_cells(visits, k, seed):
    cells = [f"c{i}" for i in range(len(visits))]
    p = ParentPicker(ParentsConfig())
    p.visits = dict(zip(cells, visits, strict=True))
    picks = p.pick(4, cells, k, np.random.default_rng(seed))
    assert picks == sorted(set(picks)) and len(picks) == min(k, len(cells))
    assert all(0 <= i < len(cells) for i in picks)
