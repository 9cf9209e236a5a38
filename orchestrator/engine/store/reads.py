"""Reads of the run store: what resume, status, show, the report and the exports ask.

Rows come back as plain dicts. "The latest evaluation of a scenario up to a detector
version" is written once, in `_LATEST_EVAL`, and every view that reports an evasion uses it.
"""

from __future__ import annotations

import json

from agents.models import Candidate, EvasionReport, Review
from graph_schema.dsl import Scenario
from orchestrator.engine.config import RunConfig
from orchestrator.engine.progress import Progress
from orchestrator.engine.store.errors import StoreError

_LATEST_EVAL = (
    "(SELECT {col} FROM evaluations ev WHERE ev.scenario_id = {sid} AND ev.detector_version <= {v} "
    "ORDER BY ev.detector_version DESC LIMIT 1)"
)
_KINDS = {"scenario": "scenarios", "debate": "debates"}


def _rows(cur) -> list[dict]:
    return [dict(r) for r in cur]


class StoreReads:
    """Mixed into `RunStore`; ``self.db`` is its connection."""

    # ---------------------------------------------------------------- run level

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def progress(self) -> Progress | None:
        """Where the run stood when it last saved its progress (None before it first did)."""
        return Progress.from_json(self.get_meta("progress"))

    def config(self):
        """The run's `RunConfig`.

        Raises:
            StoreError: the store holds no valid config.
        """
        raw = self.get_meta("config")
        try:
            return RunConfig.model_validate_json(raw or "")
        except ValueError:
            raise StoreError(f"{self.path}: not a run store (meta.config is missing or invalid)") from None

    def last_round(self) -> int:
        """The last closed round (-1 before any)."""
        row = self.db.execute("SELECT MAX(round) FROM rounds").fetchone()
        return -1 if row[0] is None else int(row[0])

    def rounds(self) -> list[dict]:
        return _rows(self.db.execute("SELECT * FROM rounds ORDER BY round"))

    def detector_version(self) -> int:
        """The newest recorded detector version (0 before any is recorded)."""
        row = self.db.execute("SELECT MAX(version) FROM detector_versions").fetchone()
        return 0 if row[0] is None else int(row[0])

    def has_detector_version(self, version: int | None = None, round_: int | None = None) -> bool:
        """Is detector ``version`` (or one trained after round ``round_``) recorded?"""
        col, val = ("version", version) if version is not None else ("round", round_)
        return (
            self.db.execute(f"SELECT 1 FROM detector_versions WHERE {col} = ?", (val,)).fetchone() is not None
        )  # noqa: S608

    def tokens_spent(self) -> int:
        """Tokens of every LLM request not served from the cache, failed requests included."""
        row = self.db.execute(
            "SELECT COALESCE(SUM(prompt_tokens + completion_tokens), 0) FROM llm_calls WHERE cache_hit = 0"
        ).fetchone()
        return int(row[0])

    def llm_usage(self) -> dict[str, dict]:
        """Per role: its LLM turns (one role call each), how many ended with a valid answer, the
        requests they made (first tries, repairs and retries), and the tokens and seconds of the
        requests not served from the cache."""
        rows = self.db.execute(
            "SELECT t.role, COUNT(*), SUM(l.ok), SUM(t.n), SUM(t.pt), SUM(t.ct), SUM(t.s) FROM "
            "(SELECT debate_id, idx, role, COUNT(*) AS n, MAX(seq) AS last, "
            "SUM(CASE WHEN cache_hit = 0 THEN prompt_tokens ELSE 0 END) AS pt, "
            "SUM(CASE WHEN cache_hit = 0 THEN completion_tokens ELSE 0 END) AS ct, "
            "SUM(CASE WHEN cache_hit = 0 THEN latency_s ELSE 0 END) AS s "
            "FROM llm_calls GROUP BY debate_id, idx, role) t "
            "JOIN llm_calls l ON l.debate_id = t.debate_id AND l.idx = t.idx AND l.seq = t.last "
            "GROUP BY t.role ORDER BY t.role"
        ).fetchall()
        keys = ("turns", "valid", "requests", "prompt_tokens", "completion_tokens")
        return {
            r[0]: {**dict(zip(keys, (int(x) for x in r[1:6]), strict=True)), "seconds": round(float(r[6]), 1)}
            for r in rows
        }

    def counts(self) -> dict[str, int]:
        out = {}
        for t in ("scenarios", "debates", "turns", "matches", "failures", "llm_calls", "rounds"):
            out[t] = self.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]  # noqa: S608 - fixed names
        return out

    def models_used(self) -> list[str]:
        return sorted(r[0] for r in self.db.execute("SELECT DISTINCT model FROM llm_calls"))

    def evaluated_count(self) -> int:
        """Candidates fully evaluated: adversary turns that did not fail."""
        return self.db.execute(
            "SELECT COUNT(*) FROM turns WHERE role = 'adversary' AND error IS NULL"
        ).fetchone()[0]

    # ---------------------------------------------------------------- debates and matches

    def debates_of(self, round_: int) -> dict[int, dict]:
        return {
            r["slot"]: r for r in _rows(self.db.execute("SELECT * FROM debates WHERE round = ?", (round_,)))
        }

    def debate(self, did: str) -> dict | None:
        """A debate with its ``transcript`` (turns in order)."""
        row = self.db.execute("SELECT * FROM debates WHERE id = ?", (did,)).fetchone()
        if row is None:
            return None
        return {**dict(row), "transcript": self.turns(did)}

    def turns(self, did: str) -> list[dict]:
        return _rows(self.db.execute("SELECT * FROM turns WHERE debate_id = ? ORDER BY idx", (did,)))

    def debates_with(self, sid: str) -> list[str]:
        """Ids of the debates in which scenario ``sid`` appeared, first first."""
        return [
            r[0]
            for r in self.db.execute(
                "SELECT DISTINCT debate_id FROM turns WHERE scenario_id = ? ORDER BY debate_id", (sid,)
            )
        ]

    def calls_of(self, owner: str) -> list[dict]:
        return _rows(
            self.db.execute("SELECT * FROM llm_calls WHERE debate_id = ? ORDER BY idx, seq", (owner,))
        )

    def match(self, mid: str) -> dict | None:
        row = self.db.execute("SELECT * FROM matches WHERE id = ?", (mid,)).fetchone()
        return dict(row) if row else None

    def decided_matches(self) -> list[dict]:
        return _rows(self.db.execute("SELECT * FROM matches WHERE winner != 'tie' ORDER BY id"))

    def resolve(self, kind: str, prefix: str) -> list[str]:
        """Up to two ids of ``kind`` ('scenario' or 'debate') that start with ``prefix``."""
        table = _KINDS[kind]
        return [
            r[0]
            for r in self.db.execute(
                f"SELECT id FROM {table} WHERE id LIKE ? ORDER BY id LIMIT 2",  # noqa: S608
                (prefix.replace("%", "") + "%",),
            )
        ]

    # ---------------------------------------------------------------- scenarios

    def scenario(self, sid: str) -> Scenario | None:
        row = self.db.execute("SELECT body FROM scenarios WHERE id = ?", (sid,)).fetchone()
        return Scenario.model_validate_json(row[0]) if row else None

    def recent_scenarios(self, last_round: int, limit: int) -> list[Scenario]:
        """Up to ``limit`` scenarios first seen in round ``last_round`` or before, newest first."""
        rows = self.db.execute(
            "SELECT body FROM scenarios WHERE first_round <= ? ORDER BY first_round DESC, id LIMIT ?",
            (last_round, limit),
        ).fetchall()
        return [Scenario.model_validate_json(r[0]) for r in rows]

    def scenario_row(self, sid: str) -> dict | None:
        row = self.db.execute("SELECT * FROM scenarios WHERE id = ?", (sid,)).fetchone()
        return dict(row) if row else None

    def review(self, sid: str) -> Review | None:
        row = self.db.execute("SELECT body FROM reviews WHERE scenario_id = ?", (sid,)).fetchone()
        return Review.model_validate_json(row[0]) if row else None

    def evaluation(self, sid: str, version: int | None = None) -> EvasionReport | None:
        """The latest evaluation of ``sid`` by detector ``version`` or an earlier one
        (``None``: the newest recorded version)."""
        v = self.detector_version() if version is None else version
        row = self.db.execute(
            "SELECT " + _LATEST_EVAL.format(col="body", sid="?", v="?"), (sid, v)
        ).fetchone()
        return EvasionReport.model_validate_json(row[0]) if row and row[0] else None

    def evaluations(self, sid: str) -> list[dict]:
        return _rows(
            self.db.execute(
                "SELECT detector_version, evasion, body FROM evaluations "
                "WHERE scenario_id = ? ORDER BY detector_version",
                (sid,),
            )
        )

    def find_candidate(self, sid: str, version: int | None = None) -> Candidate | None:
        """The scenario with its review and latest evaluation up to detector ``version``;
        None if one of them is not in the store."""
        s, r, e = self.scenario(sid), self.review(sid), self.evaluation(sid, version)
        if s is None or r is None or e is None:
            return None
        return Candidate(scenario=s, review=r, report=e)

    def children(self, sid: str) -> list[dict]:
        """Scenarios bred from ``sid`` (id, name, operator), by id."""
        return _rows(
            self.db.execute(
                "SELECT id, name, operator FROM scenarios WHERE parents LIKE ? ORDER BY id", (f'%"{sid}"%',)
            )
        )

    def accepted_ids(self) -> list[str]:
        return [
            r[0]
            for r in self.db.execute(
                "SELECT scenario_id FROM reviews WHERE accepted = 1 ORDER BY scenario_id"
            )
        ]

    def latest_elo(self, sid: str) -> float | None:
        row = self.db.execute(
            "SELECT rating FROM elo_history WHERE scenario_id = ? ORDER BY round DESC LIMIT 1", (sid,)
        ).fetchone()
        return row[0] if row else None

    # ---------------------------------------------------------------- archive and Elo per round

    def elo_at(self, round_: int) -> dict[str, tuple[float, int]]:
        """Rating and games of every rated scenario after round ``round_``."""
        return {
            r[0]: (r[1], r[2])
            for r in self.db.execute(
                "SELECT scenario_id, rating, games FROM elo_history WHERE round = ?", (round_,)
            )
        }

    def archive_at(self, round_: int) -> list[dict]:
        """The archive after round ``round_``: cell, scenario_id, quality, evasion, realism,
        with the elite's Elo, name and typology."""
        return _rows(
            self.db.execute(
                "SELECT a.cell, a.scenario_id, a.quality, a.evasion, a.realism, e.rating AS elo, s.name, "
                "s.typology "
                "FROM archive_cells a LEFT JOIN elo_history e ON e.scenario_id = a.scenario_id AND "
                "e.round = a.round "
                "JOIN scenarios s ON s.id = a.scenario_id WHERE a.round = ? ORDER BY a.cell",
                (round_,),
            )
        )

    def archive_evaluations(self, round_: int, version: int) -> list[EvasionReport]:
        """The elites' latest evaluations up to detector ``version`` after round ``round_``."""
        sql = (
            "SELECT "
            + _LATEST_EVAL.format(col="body", sid="a.scenario_id", v="?")
            + " FROM archive_cells a WHERE a.round = ? ORDER BY a.cell"
        )
        return [
            EvasionReport.model_validate_json(r[0]) for r in self.db.execute(sql, (version, round_)) if r[0]
        ]

    def top(self, round_: int, n: int | None = None) -> list[dict]:
        """The Elo table after round ``round_`` (its top ``n``, or all of it), with name,
        typology, realism, the archive cell (None if not an elite) and the latest evasion,
        money-weighted evasions and funds integrated up to the newest detector version."""
        cols = ", ".join(
            f"{_LATEST_EVAL.format(col=c, sid='e.scenario_id', v='?')} AS {c}"
            for c in ("evasion", "value_evasion", "case_evasion", "funds_integrated")
        )
        v = self.detector_version()
        return _rows(
            self.db.execute(
                "SELECT e.scenario_id, e.rating AS elo, e.games, s.name, s.typology, v.realism, a.cell, "
                f"{cols} "
                "FROM elo_history e JOIN scenarios s ON s.id = e.scenario_id "
                "LEFT JOIN reviews v ON v.scenario_id = e.scenario_id "
                "LEFT JOIN archive_cells a ON a.scenario_id = e.scenario_id AND a.round = e.round WHERE "
                "e.round = ? "
                "ORDER BY e.rating DESC, e.scenario_id LIMIT ?",
                (v, v, v, v, round_, -1 if n is None else n),
            )
        )

    def supervisor_state(self) -> dict:
        return json.loads(self.get_meta("supervisor") or "{}")


__all__ = ["StoreReads"]
