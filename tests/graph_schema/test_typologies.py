"""The typology library: the required typologies, all parameterised, all compiling."""

import numpy as np
import pytest

from graph_schema import ScenarioError, Typology, compile
from graph_schema.typologies import library, sample_scenario

REQUIRED = {
    # AMLSim's eight
    "fan_in", "fan_out", "cycle", "bipartite", "stack", "random", "scatter_gather", "gather_scatter",
    # what users of fixed generators ask for
    "structuring", "mule_network", "shell_layering", "trade_based", "crypto_ramp", "round_tripping",
    "commingling", "nested_msb", "funnel", "lone_illicit",
}


def test_library_has_the_required_templates():
    lib = library()
    assert len(lib) >= 18
    assert set(lib) >= REQUIRED
    for name, t in lib.items():
        assert t.params, f"{name} has no parameters to sample"
        assert Typology(t.typology[0]).value == name


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_each_template_yields_varied_compiling_scenarios(default_world, name):
    rng = np.random.default_rng(7)
    ok, sizes, amounts = 0, set(), set()
    for k in range(12):
        s = library()[name].sample(rng)
        assert s.primary_typology.value == name
        assert s.lineage.operator == f"template:{name}"
        try:
            c = compile(s, default_world, seed=k)
        except ScenarioError:
            continue
        ok += 1
        sizes.add((len(s.entities), c.rows.num_rows))
        amounts.add(round(float(c.base_amounts.sum()), -1))
    assert ok >= 10, f"only {ok}/12 variants of {name} compile"
    assert len(amounts) >= 5, "sampled variants should differ in amounts"
    if name != "lone_illicit":
        assert len(sizes) >= 2, "sampled variants should differ in size"


def test_structuring_parts_stay_under_the_threshold(default_world):
    rng = np.random.default_rng(3)
    for k in range(10):
        s = library()["structuring"].sample(rng)
        c = compile(s, default_world, seed=k)
        deposits = [i for i, t in enumerate(s.transfers) if t.amount.kind == "split"]
        for i in deposits:
            under = s.transfers[i].amount.under
            assert (c.base_amounts[np.isin(c.transfer_index, [i])] < under).all()


def test_unknown_template_is_a_clear_error():
    with pytest.raises(KeyError, match="unknown typology template 'nope'"):
        sample_scenario(np.random.default_rng(0), "nope")
