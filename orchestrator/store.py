"""The run store: one SQLite file per run (WAL), written only by the supervisor.

It is the checkpoint. Ids come from content hashes (scenarios), from (round, slot)
(debates) and from (pair, round) (matches), and every insert is idempotent, so that
re-running an interrupted step never double-counts. A round's archive, Elo history and
marker are written in one transaction: a round is either complete in the store or not
there at all. Readers (`redledger status`) open the file read-only from other processes.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS scenarios (id TEXT PRIMARY KEY, body TEXT NOT NULL, name TEXT NOT NULL,
    typology TEXT NOT NULL, operator TEXT, generation INTEGER NOT NULL, parents TEXT NOT NULL,
    first_round INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS reviews (scenario_id TEXT PRIMARY KEY, realism REAL NOT NULL,
    accepted INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS evaluations (scenario_id TEXT NOT NULL, detector_version INTEGER NOT NULL,
    evasion REAL NOT NULL, body TEXT NOT NULL, PRIMARY KEY (scenario_id, detector_version));
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
    best_elo REAL NOT NULL, tokens INTEGER NOT NULL, seconds REAL NOT NULL, finished REAL NOT NULL);
CREATE TABLE IF NOT EXISTS detector_versions (version INTEGER PRIMARY KEY, round INTEGER NOT NULL,
    path TEXT NOT NULL, metrics TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS failures (debate_id TEXT NOT NULL, idx INTEGER NOT NULL, role TEXT NOT NULL,
    cause TEXT NOT NULL, PRIMARY KEY (debate_id, idx));
"""


class RunStore:
    """The SQLite file of a run."""

    def __init__(self, path: str | Path, readonly: bool = False):
        self.path = Path(path)
        if readonly:
            self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10)
        else:
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)
        self.db.row_factory = sqlite3.Row

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All or nothing: a crash inside leaves the store as it was before."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    # ---------------------------------------------------------------- meta

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # ---------------------------------------------------------------- writes (idempotent)

    def put_scenario(self, db, s, round_: int) -> None:
        db.execute("INSERT OR IGNORE INTO scenarios VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   (s.uid, s.model_dump_json(), s.name, s.primary_typology.value, s.lineage.operator,
                    s.lineage.generation, json.dumps(s.lineage.parents), round_))

    def put_review(self, db, r) -> None:
        db.execute("INSERT OR IGNORE INTO reviews VALUES (?, ?, ?, ?)",
                   (r.scenario_id, r.realism, int(r.accepted), r.model_dump_json()))

    def put_evaluation(self, db, rep, version: int) -> None:
        db.execute("INSERT OR REPLACE INTO evaluations VALUES (?, ?, ?, ?)",
                   (rep.scenario_id, version, rep.evasion, rep.model_dump_json()))

    def put_debate(self, db, d) -> None:
        """``d`` is a finished `DebateResult` with its turns."""
        db.execute("INSERT OR IGNORE INTO debates VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (d.id, d.round, d.slot, d.origin, d.final and d.final.scenario.uid, d.outcome, d.error,
                    len(d.turns), d.seconds))
        for i, t in enumerate(d.turns):
            db.execute("INSERT OR IGNORE INTO turns VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (d.id, i, t.role, t.model, t.scenario_id, t.payload, t.text, t.tokens_in, t.tokens_out,
                        t.latency_s, t.error))
            self.put_calls(db, d.id, i, t.calls)
            if t.error:
                db.execute("INSERT OR IGNORE INTO failures VALUES (?, ?, ?, ?)", (d.id, i, t.role, t.error))

    def put_calls(self, db, owner: str, idx: int, calls: list[dict]) -> None:
        """LLM call records of one turn (or one match: owner 'match:<id>')."""
        for k, c in enumerate(calls):
            db.execute("INSERT OR IGNORE INTO llm_calls VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (owner, idx, k, c["role"], c["model"], c["endpoint"], c["method"], c["prompt_tokens"],
                        c["completion_tokens"], c["latency_s"], int(c["cache_hit"]), int(c["ok"]), c["error"]))

    def put_match(self, db, mid: str, round_: int, a: str, b: str, verdict, kind: str) -> None:
        db.execute("INSERT OR IGNORE INTO matches VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (mid, round_, a, b, verdict.winner.value, kind, verdict.model_dump_json()))

    # ---------------------------------------------------------------- reads

    def debates_of(self, round_: int) -> dict[int, sqlite3.Row]:
        return {r["slot"]: r for r in self.db.execute("SELECT * FROM debates WHERE round = ?", (round_,))}

    def match(self, mid: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM matches WHERE id = ?", (mid,)).fetchone()

    def detector_version(self) -> int:
        """The newest recorded detector version (0 before any is recorded)."""
        row = self.db.execute("SELECT MAX(version) FROM detector_versions").fetchone()
        return 0 if row[0] is None else int(row[0])

    def last_round(self) -> int:
        row = self.db.execute("SELECT MAX(round) FROM rounds").fetchone()
        return -1 if row[0] is None else int(row[0])

    def counts(self) -> dict[str, int]:
        out = {}
        for t in ("scenarios", "debates", "turns", "matches", "failures", "llm_calls", "rounds"):
            out[t] = self.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]  # noqa: S608 - fixed names
        return out


__all__ = ["SCHEMA", "RunStore"]
