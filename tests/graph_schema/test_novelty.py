"""Novelty: a template instance sits near other instances of its template and far from
another template's; relabelling accounts or renaming changes nothing; the summary carries
intervals and counts."""

from __future__ import annotations

import numpy as np

from graph_schema import compile_scenario
from graph_schema.novelty import novelty, tag_distance, wl_distance, wl_features
from graph_schema.typologies import sample_scenario


def _c(world, name, seed, cseed=0):
    return compile_scenario(sample_scenario(np.random.default_rng(seed), name), world, cseed)


def test_the_same_template_is_near_and_another_is_far(small_world):
    fan = [_c(small_world, "fan_out", s) for s in range(4)]
    cyc = [_c(small_world, "cycle", s) for s in range(4)]
    near = np.mean([wl_distance(wl_features(fan[0]), wl_features(f)) for f in fan[1:]])
    far = np.mean([wl_distance(wl_features(fan[0]), wl_features(c)) for c in cyc])
    assert near < far and far > 0.5


def test_structure_not_accounts_or_times_decides(small_world):
    s = sample_scenario(np.random.default_rng(1), "stack")
    # other accounts, times and amounts, the same structure
    a, b = compile_scenario(s, small_world, 0), compile_scenario(s, small_world, 7)
    assert wl_distance(wl_features(a), wl_features(b)) < 1e-9
    assert wl_distance(wl_features(a), wl_features(a)) == 0.0


def test_novelty_against_templates_reports_intervals_and_counts(small_world):
    ref = [_c(small_world, n, s) for n in ("fan_out", "stack", "cycle") for s in range(3)]
    same = [_c(small_world, "fan_out", 10 + s) for s in range(5)]
    other = [_c(small_world, "scatter_gather", s) for s in range(5)]
    a, b = novelty(same, ref).summary(), novelty(other, ref).summary()
    assert a["n"] == b["n"] == 5
    assert a["to_reference"]["mean"] < b["to_reference"]["mean"]
    assert a["to_reference"]["low"] <= a["to_reference"]["mean"] <= a["to_reference"]["high"]
    assert a["tags_to_reference"]["mean"] == 0.0 and b["tags_to_reference"]["mean"] > 0
    assert tag_distance(["fan_out"], ["fan_out", "stack"]) == 0.5
