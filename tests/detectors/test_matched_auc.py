"""The C2ST's AUC within profiles: one stratum is the ordinary AUC, and a score that only
knows the profile gains nothing, however the profiles are mixed."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from detectors.realism import matched_auc, rank_among

labels_and_scores = st.integers(4, 60).flatmap(lambda n: st.tuples(
    st.lists(st.integers(0, 1), min_size=n, max_size=n),
    st.lists(st.integers(0, 5), min_size=n, max_size=n),  # few values: ties are common
    st.lists(st.integers(0, 2), min_size=n, max_size=n),
))


@settings(max_examples=150, deadline=None)
@given(labels_and_scores)
def test_one_stratum_is_the_ordinary_auc(data):
    y, p, _ = (np.asarray(a) for a in data)
    if 0 < y.sum() < len(y):
        assert np.isclose(matched_auc(y, p.astype(float), np.zeros(len(y), int)), roc_auc_score(y, p))
    else:
        assert matched_auc(y, p.astype(float), np.zeros(len(y), int)) == 0.5


@settings(max_examples=150, deadline=None)
@given(labels_and_scores)
def test_a_score_that_only_knows_the_profile_reads_one_half(data):
    """Positives and controls in different shares of each profile: scoring the profile alone
    separates them pooled, not within profiles (each positive ties with its own peers)."""
    y, _, strata = (np.asarray(a) for a in data)
    both = [s for s in np.unique(strata) if 0 < y[strata == s].sum() < (strata == s).sum()]
    if not both:
        return
    keep = np.isin(strata, both)
    assert matched_auc(y[keep], strata[keep].astype(float), strata[keep]) == 0.5


def test_a_positive_without_peers_of_its_profile_is_ranked_among_all_controls():
    y = np.array([1, 1, 0, 0, 0, 0])
    p = np.array([0.9, 0.35, 0.1, 0.2, 0.3, 0.4])
    strata = np.array([0, 1, 0, 0, 0, 0])  # stratum 1 has no control
    assert matched_auc(y, p, strata) == np.mean([1.0, 0.75])
    assert list(rank_among(np.array([0.1, 0.2, 0.2, 0.3]), np.array([0.2, 0.05, 0.5]))) == [0.5, 0.0, 1.0]
