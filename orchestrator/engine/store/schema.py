"""The tables of a run store. Only `orchestrator.engine.store` speaks SQL."""

from __future__ import annotations

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS scenarios (id TEXT PRIMARY KEY, body TEXT NOT NULL, name TEXT NOT NULL,
    typology TEXT NOT NULL, operator TEXT, generation INTEGER NOT NULL, parents TEXT NOT NULL,
    first_round INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS reviews (scenario_id TEXT PRIMARY KEY, realism REAL NOT NULL,
    accepted INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS evaluations (scenario_id TEXT NOT NULL, detector_version INTEGER NOT NULL,
    evasion REAL NOT NULL, value_evasion REAL NOT NULL, case_evasion REAL NOT NULL,
    funds_integrated REAL NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (scenario_id, detector_version));
CREATE TABLE IF NOT EXISTS debates (id TEXT PRIMARY KEY, round INTEGER NOT NULL, slot INTEGER NOT NULL,
    origin TEXT NOT NULL, final_scenario TEXT, outcome TEXT NOT NULL, error TEXT, turns INTEGER NOT NULL,
    seconds REAL NOT NULL);
CREATE TABLE IF NOT EXISTS turns (debate_id TEXT NOT NULL, idx INTEGER NOT NULL, role TEXT NOT NULL,
    model TEXT NOT NULL, scenario_id TEXT, payload TEXT, text TEXT NOT NULL, tokens_in INTEGER NOT NULL,
    tokens_out INTEGER NOT NULL, latency_s REAL NOT NULL, error TEXT, PRIMARY KEY (debate_id, idx));
CREATE TABLE IF NOT EXISTS llm_calls (debate_id TEXT NOT NULL, idx INTEGER NOT NULL, seq INTEGER NOT NULL,
    role TEXT NOT NULL, model TEXT NOT NULL, endpoint TEXT NOT NULL, method TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, latency_s REAL NOT NULL,
    cache_hit INTEGER NOT NULL, ok INTEGER NOT NULL, error TEXT, PRIMARY KEY (debate_id, idx, seq));
CREATE TABLE IF NOT EXISTS matches (id TEXT PRIMARY KEY, round INTEGER NOT NULL, a TEXT NOT NULL,
    b TEXT NOT NULL, winner TEXT NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS elo_history (round INTEGER NOT NULL, scenario_id TEXT NOT NULL,
    rating REAL NOT NULL, games INTEGER NOT NULL, PRIMARY KEY (round, scenario_id));
CREATE TABLE IF NOT EXISTS archive_cells (round INTEGER NOT NULL, cell TEXT NOT NULL,
    scenario_id TEXT NOT NULL, quality REAL NOT NULL, evasion REAL NOT NULL, realism REAL NOT NULL,
    PRIMARY KEY (round, cell));
CREATE TABLE IF NOT EXISTS rounds (round INTEGER PRIMARY KEY, detector_version INTEGER NOT NULL,
    candidates INTEGER NOT NULL, failures INTEGER NOT NULL, coverage REAL NOT NULL, qd_score REAL NOT NULL,
    best_elo REAL NOT NULL, tokens INTEGER NOT NULL, seconds REAL NOT NULL, families INTEGER NOT NULL,
    typology_entropy REAL NOT NULL, structural_distance REAL NOT NULL, value_evasion REAL NOT NULL,
    case_evasion REAL NOT NULL, median_funds REAL NOT NULL, filter_kept INTEGER NOT NULL,
    filter_dropped INTEGER NOT NULL, finished REAL NOT NULL);
CREATE TABLE IF NOT EXISTS detector_versions (version INTEGER PRIMARY KEY, round INTEGER NOT NULL,
    path TEXT NOT NULL, metrics TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS failures (debate_id TEXT NOT NULL, idx INTEGER NOT NULL, role TEXT NOT NULL,
    cause TEXT NOT NULL, PRIMARY KEY (debate_id, idx));
"""

TABLES = ("meta", "scenarios", "reviews", "evaluations", "debates", "turns", "llm_calls", "matches",
          "elo_history", "archive_cells", "rounds", "detector_versions", "failures")

__all__ = ["SCHEMA", "TABLES"]
