"""Elo, match ids, the MAP-Elites archive and the store's all-or-nothing writes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents.models import Winner
from graph_schema.typologies import sample_scenario
from orchestrator.engine.archive import FAMILY_OF, Archive, distance, signature
from orchestrator.engine.config import ArchiveConfig
from orchestrator.engine.store import RunStore
from orchestrator.engine.tournament import EloTable, expected, match_id


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
    assert arch.n_cells == 6 * 4 * 4  # families x complexity bins x volume bands
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


def test_llm_usage_counts_turns_repairs_and_what_was_not_cached(tmp_path):
    """A turn is valid when its last request is; repairs are requests after the first; tokens
    and seconds leave cache hits out."""
    store = RunStore(tmp_path / "run.sqlite")

    def call(ok: bool, tokens: int, cached: bool = False, role: str = "planner") -> dict:
        return {"role": role, "model": "m", "endpoint": "e", "method": "json_mode", "prompt_tokens": tokens,
                "completion_tokens": tokens // 10, "latency_s": 2.0, "cache_hit": cached, "ok": ok,
                "error": None if ok else "invalid"}

    with store.transaction():
        store.put_calls("d1", 0, [call(False, 1000), call(True, 1100)])  # valid after one repair
        store.put_calls("d1", 1, [call(False, 1000), call(False, 1000), call(False, 1000)])  # gave up
        store.put_calls("d2", 0, [call(True, 900, cached=True)])  # replayed from the cache
        store.put_calls("d2", 1, [call(True, 300, role="evolver")])
    assert store.llm_usage() == {
        "evolver": {"turns": 1, "valid": 1, "requests": 1, "prompt_tokens": 300, "completion_tokens": 30,
                    "seconds": 2.0},
        "planner": {"turns": 3, "valid": 2, "requests": 6, "prompt_tokens": 5100, "completion_tokens": 510,
                    "seconds": 10.0},
    }


def _candidate(seed: int, funds: float, evasion: float):
    from agents.models import Candidate, EvasionReport, Review
    s = sample_scenario(
        np.random.default_rng(seed), ["fan_out", "stack", "cycle", "bipartite", "lone_illicit"][seed % 5]
    )
    rep = EvasionReport(
        scenario_id=s.uid,
        budget=0.005,
        detectors=[],
        transfers=[],
        evaded_share=evasion,
        evasion=evasion,
        evaded_value_share=evasion,
        case_evaded_share=evasion,
        funds_integrated=funds,
        integration_share=0.9,
    )
    rev = Review(scenario_id=s.uid, checks=[], realism=0.8, accepted=True)
    return Candidate(scenario=s, review=rev, report=rep)


@pytest.mark.parametrize("within", ["band", "any"])
def test_within_band_elo_matches_are_never_drawn_across_bands(within):
    import asyncio

    from agents.principles import load_principles
    from orchestrator.engine.config import TournamentConfig
    from orchestrator.engine.tournament import Tournament

    rng = np.random.default_rng(0)
    cands = [_candidate(i, float(10 ** rng.uniform(2.5, 6.5)), float(rng.uniform(0, 1))) for i in range(60)]
    known = {c.scenario.uid: c for c in cands}
    played = []

    async def judge(r, a, b):
        played.append((a.scenario.uid, b.scenario.uid))
        return Winner.A if a.report.evasion > b.report.evasion else Winner.B

    arch = Archive(ArchiveConfig(descriptors=["family", "complexity"]))  # cells span several bands
    t = Tournament(
        TournamentConfig(random_opponents=3, match_within=within),
        arch,
        load_principles(),
        0,
        judge,
        known.__getitem__,
    )
    for r in range(3):
        asyncio.run(t.play_round(r, list(enumerate(cands[r * 20 : (r + 1) * 20]))))
    band = {sid: arch.band_of(c.report) for sid, c in known.items()}
    rated = {s for s, g in t.elo.games.items() if g}
    assert played and rated
    crossed = [(a, b) for a, b in played if band[a] != band[b]]
    if within == "band":
        # random opponents come from the band only; an incumbent of another band decides its cell,
        # but that match never moves a rating
        elo_games = sum(t.elo.games.values()) // 2
        assert elo_games == len(played) - len(crossed)
    else:
        assert crossed  # the control: without the rule, bands do meet
    lone = {sid for sid, c in known.items() if c.scenario.primary_typology.value == "lone_illicit"}
    assert lone and not [
        (a, b) for a, b in played if (a in lone) != (b in lone)
    ]  # single payments stay apart
    # and with volume as a cell axis (the default), incumbents share the band too
    arch2 = Archive(ArchiveConfig())
    played.clear()
    t2 = Tournament(
        TournamentConfig(random_opponents=3), arch2, load_principles(), 0, judge, known.__getitem__
    )
    asyncio.run(t2.play_round(0, list(enumerate(cands))))
    assert played and all(band[a] == band[b] for a, b in played)


def test_diversity_is_measured_on_the_archive():
    from orchestrator.engine.archive import entropy, funds_weighted

    assert entropy([]) == 0 and entropy(["a", "a"]) == 0 and entropy(["a", "b", "c", "d"]) == pytest.approx(2)
    assert funds_weighted([1.0, 0.0], [300.0, 100.0]) == pytest.approx(0.75)
    arch = Archive(ArchiveConfig())
    for i in range(5):
        c = _candidate(i, 10_000.0 * (i + 1), 0.5)
        arch.place(arch.cell_of(c.scenario, c.report), c.scenario, c.review, c.report, 0.5)
    d = arch.diversity()
    assert d["families"] == 4 and d["typology_entropy"] == pytest.approx(np.log2(5))
    assert d["structural_distance"] > 0 and d["median_funds"] == 30_000
