"""Read-only views of a run store, shared by `redledger show` and the HTML report."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from orchestrator.config import RunConfig
from orchestrator.run import STORE
from orchestrator.store import RunStore


class InspectError(ValueError):
    """Nothing to show as asked (one line)."""


@dataclass
class RunView:
    run_dir: Path
    store: RunStore
    cfg: RunConfig

    @classmethod
    def open(cls, run_dir: Path) -> RunView:
        if not (Path(run_dir) / STORE).exists():
            raise InspectError(f"{run_dir}: no run here ({STORE} is missing)")
        store = RunStore(Path(run_dir) / STORE, readonly=True)
        return cls(Path(run_dir), store, RunConfig.model_validate_json(store.get_meta("config")))

    @property
    def last(self) -> int:
        return self.store.last_round()

    def rounds(self) -> list[dict]:
        return [dict(r) for r in self.store.db.execute("SELECT * FROM rounds ORDER BY round")]

    def archive(self, round_: int | None = None) -> list[dict]:
        r = self.last if round_ is None else round_
        return [dict(x) for x in self.store.db.execute(
            "SELECT a.cell, a.scenario_id, a.quality, a.evasion, a.realism, e.rating AS elo, s.name, s.typology "
            "FROM archive_cells a LEFT JOIN elo_history e ON e.scenario_id = a.scenario_id AND e.round = a.round "
            "JOIN scenarios s ON s.id = a.scenario_id WHERE a.round = ? ORDER BY a.cell", (r,))]

    def top(self, n: int) -> list[dict]:
        return [dict(x) for x in self.store.db.execute(
            "SELECT e.scenario_id, e.rating AS elo, e.games, s.name, s.typology, v.realism, "
            "(SELECT evasion FROM evaluations WHERE scenario_id = e.scenario_id ORDER BY detector_version DESC LIMIT 1) "
            "AS evasion FROM elo_history e JOIN scenarios s ON s.id = e.scenario_id "
            "LEFT JOIN reviews v ON v.scenario_id = e.scenario_id WHERE e.round = ? "
            "ORDER BY e.rating DESC, e.scenario_id LIMIT ?", (self.last, n))]

    def resolve(self, table: str, prefix: str) -> str:
        rows = self.store.db.execute(f"SELECT id FROM {table} WHERE id LIKE ? LIMIT 2", (prefix + "%",)).fetchall()  # noqa: S608
        if not rows:
            raise InspectError(f"{self.run_dir}: no {table[:-1]} with id '{prefix}'")
        if len(rows) > 1:
            raise InspectError(f"{self.run_dir}: id '{prefix}' names several {table}; give more characters")
        return rows[0][0]

    def scenario(self, sid: str) -> dict:
        sid = self.resolve("scenarios", sid)
        db = self.store.db
        s = dict(db.execute("SELECT * FROM scenarios WHERE id = ?", (sid,)).fetchone())
        review = db.execute("SELECT body FROM reviews WHERE scenario_id = ?", (sid,)).fetchone()
        evals = [dict(r) for r in db.execute("SELECT detector_version, evasion, body FROM evaluations "
                                             "WHERE scenario_id = ? ORDER BY detector_version", (sid,))]
        debates = [r[0] for r in db.execute("SELECT DISTINCT debate_id FROM turns WHERE scenario_id = ?", (sid,))]
        elo = db.execute("SELECT rating FROM elo_history WHERE scenario_id = ? ORDER BY round DESC LIMIT 1", (sid,)).fetchone()
        return {**s, "review": json.loads(review[0]) if review else None, "evaluations": evals,
                "debates": debates, "elo": elo[0] if elo else None}

    def debate(self, did: str) -> dict:
        did = self.resolve("debates", did)
        db = self.store.db
        d = dict(db.execute("SELECT * FROM debates WHERE id = ?", (did,)).fetchone())
        d["transcript"] = [dict(r) for r in db.execute("SELECT * FROM turns WHERE debate_id = ? ORDER BY idx", (did,))]
        return d

    def close(self) -> None:
        self.store.close()


__all__ = ["InspectError", "RunView"]
