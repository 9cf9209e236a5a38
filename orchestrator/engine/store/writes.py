"""Writes to the run store, made only by the supervisor and the run set-up.

Every insert is idempotent (ids come from content hashes, from (round, slot) and from
(pair, round)), so re-running an interrupted step never double-counts. Each method that
writes several rows does so in one transaction: a debate, a match, a round, a detector
version is either complete in the store or not there at all.
"""

from __future__ import annotations

import json
import time
from contextlib import contextmanager, nullcontext

from agents.models import EvasionReport, Review
from graph_schema.dsl import Scenario
from orchestrator.engine.progress import Progress


class StoreWrites:
    """Mixed into `RunStore`; ``self.db`` is its connection."""

    @contextmanager
    def _atomic(self):
        with nullcontext() if self.db.in_transaction else self.transaction():
            yield

    # ---------------------------------------------------------------- run metadata

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def save_progress(self, p: Progress) -> None:
        self.set_meta("progress", p.to_json())

    def init_run(self, config_json: str, digest: str) -> None:
        """Tie a new store to its config (its digest is checked on every later open)."""
        with self._atomic():
            for k, v in (("config", config_json), ("digest", digest), ("created", str(time.time())),
                         ("status", "created")):
                self.set_meta(k, v)

    def retie_run(self, config_json: str, digest: str, keep_detectors: bool) -> None:
        """Tie a store whose run never got past its set-up to a corrected config; the
        detector versions it recorded go unless ``keep_detectors`` (they were trained
        from the same World, seed and detector settings)."""
        with self._atomic():
            for k, v in (("config", config_json), ("digest", digest), ("status", "created")):
                self.set_meta(k, v)
            if not keep_detectors:
                self.db.execute("DELETE FROM detector_versions")

    # ---------------------------------------------------------------- results

    def put_scenario(self, s: Scenario, round_: int) -> None:
        self.db.execute("INSERT OR IGNORE INTO scenarios VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (s.uid, s.model_dump_json(), s.name, s.primary_typology.value, s.lineage.operator,
                         s.lineage.generation, json.dumps(s.lineage.parents), round_))

    def put_review(self, r: Review) -> None:
        self.db.execute("INSERT OR IGNORE INTO reviews VALUES (?, ?, ?, ?)",
                        (r.scenario_id, r.realism, int(r.accepted), r.model_dump_json()))

    def put_evaluation(self, rep: EvasionReport, version: int) -> None:
        self.db.execute("INSERT OR REPLACE INTO evaluations VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (rep.scenario_id, version, rep.evasion, rep.evaded_value_share, rep.case_evaded_share,
                         rep.funds_integrated, rep.model_dump_json()))

    def put_calls(self, owner: str, idx: int, calls: list[dict]) -> None:
        """LLM call records of one turn (or one match: owner 'match:<id>'), failed ones included."""
        for k, c in enumerate(calls):
            self.db.execute(
                "INSERT OR IGNORE INTO llm_calls VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    owner,
                    idx,
                    k,
                    c["role"],
                    c["model"],
                    c["endpoint"],
                    c["method"],
                    c["prompt_tokens"],
                    c["completion_tokens"],
                    c["latency_s"],
                    int(c["cache_hit"]),
                    int(c["ok"]),
                    c["error"],
                ),
            )

    def put_failure(self, owner: str, idx: int, role: str, cause: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO failures VALUES (?, ?, ?, ?)", (owner, idx, role, cause))

    def record_debate(self, d, version: int) -> None:
        """A finished `DebateResult`: the scenarios, reviews and evaluations of its turns,
        then the debate, its turns, their LLM calls and failures, in one transaction."""
        with self._atomic():
            for t in d.turns:
                if t.payload is None:
                    continue
                if t.role in ("planner", "evolver"):
                    self.put_scenario(Scenario.model_validate_json(t.payload), d.round)
                elif t.role == "critic":
                    self.put_review(Review.model_validate_json(t.payload))
                elif t.role == "adversary":
                    self.put_evaluation(EvasionReport.model_validate_json(t.payload), version)
            self.db.execute(
                "INSERT OR IGNORE INTO debates VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    d.id,
                    d.round,
                    d.slot,
                    d.origin,
                    d.final and d.final.scenario.uid,
                    d.outcome,
                    d.error,
                    len(d.turns),
                    d.seconds,
                ),
            )
            for i, t in enumerate(d.turns):
                self.db.execute(
                    "INSERT OR IGNORE INTO turns VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        d.id,
                        i,
                        t.role,
                        t.model,
                        t.scenario_id,
                        t.payload,
                        t.text,
                        t.tokens_in,
                        t.tokens_out,
                        t.latency_s,
                        t.error,
                    ),
                )
                self.put_calls(d.id, i, t.calls)
                if t.error:
                    self.put_failure(d.id, i, t.role, t.error)

    def record_match(
        self, mid: str, round_: int, a: str, b: str, verdict, kind: str, calls: list[dict]
    ) -> None:
        """A judged match (``verdict`` is a `Verdict`) with the judge's LLM calls."""
        with self._atomic():
            self.db.execute(
                "INSERT OR IGNORE INTO matches VALUES (?, ?, ?, ?, ?, ?, ?)",
                (mid, round_, a, b, verdict.winner.value, kind, verdict.model_dump_json()),
            )
            self.put_calls(f"match:{mid}", 0, calls)

    def record_match_failure(self, mid: str, cause: str, calls: list[dict]) -> None:
        """A match the judge could not decide, with the calls it made trying."""
        with self._atomic():
            self.put_failure(f"match:{mid}", 0, "judge", cause)
            self.put_calls(f"match:{mid}", 0, calls)

    # ---------------------------------------------------------------- rounds and detectors

    def close_round(
        self, r: int, elo: dict[str, tuple[float, int]], cells: dict, summary: dict, supervisor: dict
    ) -> None:
        """Round ``r``'s Elo table, archive cells (`Elite` by cell), its summary row
        (detector_version, candidates, failures, coverage, qd_score, best_elo, tokens,
        seconds, and the archive's families, typology_entropy, structural_distance,
        value_evasion, case_evasion, median_funds; the contrastive filter's filter_kept and
        filter_dropped) and the supervisor's state, in one transaction."""
        with self._atomic():
            for sid, (rating, games) in sorted(elo.items()):
                self.db.execute(
                    "INSERT OR REPLACE INTO elo_history VALUES (?, ?, ?, ?)", (r, sid, rating, games)
                )
            for cell, e in sorted(cells.items()):
                self.db.execute(
                    "INSERT OR REPLACE INTO archive_cells VALUES (?, ?, ?, ?, ?, ?)",
                    (r, cell, e.scenario_id, e.quality, e.evasion, e.realism),
                )
            s = summary
            self.db.execute(
                "INSERT OR REPLACE INTO rounds VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    r,
                    s["detector_version"],
                    s["candidates"],
                    s["failures"],
                    s["coverage"],
                    s["qd_score"],
                    s["best_elo"],
                    s["tokens"],
                    s["seconds"],
                    s["families"],
                    s["typology_entropy"],
                    s["structural_distance"],
                    s["value_evasion"],
                    s["case_evasion"],
                    s["median_funds"],
                    s["filter_kept"],
                    s["filter_dropped"],
                    time.time(),
                ),
            )
            self.set_meta("supervisor", json.dumps(supervisor))

    def record_detector_version(
        self, version: int, round_: int, path: str, metrics: dict, evaluations: list[EvasionReport] = ()
    ) -> None:
        """A trained detector version and the archive's re-scoring by it, in one transaction."""
        with self._atomic():
            for rep in evaluations:
                self.put_evaluation(rep, version)
            self.db.execute(
                "INSERT OR IGNORE INTO detector_versions VALUES (?, ?, ?, ?)",
                (version, round_, str(path), json.dumps(metrics)),
            )


__all__ = ["StoreWrites"]
