"""The release scorer's metrics agree with scikit-learn's on any scores, ties included."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import average_precision_score, f1_score

from experiments.release.evaluate import average_precision, best_f1_threshold

scores = st.lists(st.integers(0, 20).map(lambda x: x / 20), min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(pos=scores, neg=scores)
def test_average_precision_equals_scikit_learn(pos, neg):
    p, n = np.array(pos), np.array(neg)
    ours = average_precision(p, np.ones(len(p)), np.sort(n))
    theirs = average_precision_score(np.r_[np.ones(len(p)), np.zeros(len(n))], np.r_[p, n])
    assert abs(ours - theirs) < 1e-12


@settings(max_examples=200, deadline=None)
@given(pos=scores, neg=scores)
def test_weights_are_repeated_scenarios(pos, neg):
    """A weight of 2 is the same as the positive appearing twice (what the bootstrap relies on)."""
    p, n = np.array(pos), np.sort(np.array(neg))
    w = np.arange(len(p)) % 3  # 0, 1, 2, ...
    if w.sum() == 0:
        return
    weighted = average_precision(p, w.astype(float), n)
    assert abs(weighted - average_precision(np.repeat(p, w), np.ones(w.sum()), n)) < 1e-12


@settings(max_examples=200, deadline=None)
@given(pos=scores, neg=scores)
def test_the_f1_threshold_is_the_best_on_its_labels(pos, neg):
    s = np.r_[pos, neg]
    y = np.r_[np.ones(len(pos)), np.zeros(len(neg))].astype(bool)
    t = best_f1_threshold(s, y)
    best = max(f1_score(y, s >= u) for u in np.unique(s))
    assert abs(f1_score(y, s >= t) - best) < 1e-12
