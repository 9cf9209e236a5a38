"""The supervisor: rounds of debates with bounded concurrency, the tournament, the
archive, co-evolution, budgets, and the store as the checkpoint.

Determinism: debates run concurrently and are stored as they finish, but everything that
depends on order (archive placement, Elo) is applied at the end of the round in slot
order, from stored results. Every random choice is seeded by (run seed, round, slot). So
a resumed run, which reuses the stored debates and matches of an interrupted round,
reaches exactly the state of an uninterrupted one.

Expert review (`orchestrator.engine.store.expert`): at the start of every round the verdicts analysts
added since the last round are applied; the ids applied are checkpointed with the round.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from enum import StrEnum

import numpy as np

from agents.briefs import library_briefs
from agents.models import Brief, Candidate, Winner
from agents.principles import load_principles, utility
from orchestrator.engine.archive import AddStatus, Archive
from orchestrator.engine.between_rounds import BetweenRounds
from orchestrator.engine.config import RunConfig
from orchestrator.engine.debate.graph import graph
from orchestrator.engine.debate.results import DebateResult, debate_id, load_candidate, load_result
from orchestrator.engine.parents import ParentPicker
from orchestrator.engine.progress import Progress
from orchestrator.engine.roles import RoleCalls, RoleFailure
from orchestrator.engine.store import RunStore
from orchestrator.engine.tournament import Tournament, match_id


class RunOutcome(StrEnum):
    """Why `Supervisor.run` returned."""

    FINISHED = "finished"
    STOPPED = "stopped"
    WALL_CLOCK = "wall-clock budget"
    TOKENS = "token budget"
    ELO_STABLE = "Elo ranks stable"
    FAILING = "every debate failing"


class Supervisor(BetweenRounds):
    """Runs the rounds of one run directory.

    Args:
        cfg: the run's configuration.
        store: its run store (the supervisor is its only writer).
        calls: the role dispatcher (plain hosts or Ray actor pools).
        retrain: called as ``await retrain(version, elites)`` every coevolution period; it
            trains and saves detector version ``version`` and makes the adversaries use it.
        on_progress: called after every debate and round with a `Progress`; returning True
            asks for a graceful stop (as Ctrl-C does).
        refit: called as ``await refit(round, scenarios, version)`` every `realism.period`
            rounds; it fits and saves the realism discriminator and makes the critics use it.
    """

    def __init__(self, cfg: RunConfig, store: RunStore, calls: RoleCalls,
                 retrain: Callable | None = None, on_progress: Callable[[Progress], None] | None = None,
                 refit: Callable | None = None):
        self.cfg, self.store, self.calls, self.retrain, self.refit = cfg, store, calls, retrain, refit
        self._on_progress = on_progress or (lambda p: None)
        self.principles = load_principles(cfg.agents.principles)
        self.briefs = library_briefs(per_template=1, seed=cfg.seed)
        self.archive = Archive(cfg.archive)
        self.known: dict[str, Candidate] = {}
        self.tournament = Tournament(cfg.tournament, self.archive, self.principles, cfg.seed, self._match,
                                     self._candidate, cfg.contrastive.enabled)
        self.elo = self.tournament.elo
        self.version = 0
        self.stable = 0
        self.failed_streak = 0
        self.failure_cause: str | None = None  # set when the run ends as FAILING
        self.last_top: list[str] = []
        self.expert_seen = [0, 0]  # the last expert verdict and pair ids applied
        self.parents = ParentPicker(cfg.parents)
        self.stop_requested = False
        self.progress = Progress()
        self._restore()

    # ---------------------------------------------------------------- state from the store

    def _restore(self) -> None:
        last = self.store.last_round()
        self.version = self.store.detector_version()
        if last < 0:
            return
        for sid, (rating, games) in self.store.elo_at(last).items():
            self.elo.ratings[sid], self.elo.games[sid] = rating, games
        for r in self.store.archive_at(last):
            # the latest evaluation, so that a re-scoring by retrained detectors is kept
            c = self._candidate(r["scenario_id"])
            self.archive.place(r["cell"], c.scenario, c.review, c.report, utility(c, self.principles))
        meta = self.store.supervisor_state()
        self.stable, self.last_top = meta.get("stable", 0), meta.get("top", [])
        self.failed_streak = meta.get("failed_streak", 0)
        self.expert_seen = list(meta.get("expert_seen", [0, 0]))
        self.tournament.barred = set(meta.get("barred", []))
        self.parents.restore(meta.get("parents", {}))
        self.progress.coverage, self.progress.best_elo = self.archive.coverage, self._best_elo()

    def _candidate(self, sid: str) -> Candidate:
        if sid not in self.known:
            self.known[sid] = load_candidate(self.store, sid, self.version)
        return self.known[sid]

    def _best_elo(self) -> float:
        return max(self.elo.ratings.values(), default=self.cfg.tournament.initial_elo)

    def on_progress(self, p: Progress) -> None:
        if self._on_progress(p):
            self.stop()

    # ---------------------------------------------------------------- the run

    def stop(self) -> None:
        """Graceful stop: debates in flight finish, no new one starts, the round is not closed."""
        self.stop_requested = True

    async def run(self) -> RunOutcome:
        """Run until the budgets end, a stop, or too many rounds in which every debate failed
        (then ``failure_cause`` says why)."""
        t0 = time.monotonic()
        b = self.cfg.budgets
        while True:
            r = self.store.last_round() + 1
            if self.failed_streak >= b.failed_rounds:
                self.failure_cause = (
                    f"{self.failed_streak} consecutive rounds in which every debate failed; "
                    f"last cause: {self._last_cause(r - 1)}"
                )
                return RunOutcome.FAILING
            if self._coevolution_due(r - 1):
                await self.coevolve(r - 1)
            if self._refit_due(r - 1):
                await self.refit_discriminator(r - 1)
            if r >= b.rounds:
                return RunOutcome.FINISHED
            if b.wall_clock_s is not None and time.monotonic() - t0 >= b.wall_clock_s:
                return RunOutcome.WALL_CLOCK
            if b.llm_tokens is not None and self.tokens() >= b.llm_tokens:
                return RunOutcome.TOKENS
            if self.cfg.tournament.stable_rounds and self.stable >= self.cfg.tournament.stable_rounds:
                return RunOutcome.ELO_STABLE
            if not await self.run_round(r):
                return RunOutcome.STOPPED

    def _last_cause(self, r: int) -> str:
        errors = [d["error"] for _, d in sorted(self.store.debates_of(r).items()) if d["error"]]
        return errors[-1] if errors else "unknown"

    def _coevolution_due(self, last: int) -> bool:
        """After round ``last`` closed: is a retraining due and not yet recorded?"""
        k = self.cfg.coevolution_period
        if last < 0 or not k or (last + 1) % k or last + 1 >= self.cfg.budgets.rounds:
            return False
        return not self.store.has_detector_version(round_=last)

    def tokens(self) -> int:
        return self.store.tokens_spent()

    def slots(self, r: int) -> list[dict]:
        """The round's debates: planner drafts from briefs, and children of archive elites."""
        n = self.cfg.population
        cells = sorted(self.archive.cells)
        elites = [self.archive.cells[c].scenario_id for c in cells]
        n_evolve = int(round(self.cfg.evolve_share * n)) if r > 0 and elites else 0
        out = []
        for slot in range(n):
            rng = np.random.default_rng([self.cfg.seed, r, slot])
            if slot < n_evolve:
                picks = self.parents.pick(r, cells, 2, rng)
                out.append(
                    {
                        "origin": "evolve",
                        "brief": None,
                        "parents": [self._candidate(elites[i]) for i in picks],
                    }
                )
            else:
                brief = self.briefs[int(rng.integers(len(self.briefs)))]
                brief = brief.model_copy(update={"complexity": int(rng.integers(1, 6))})
                if not self.cfg.stages.brief_encoding:  # the ablation: only the typology name
                    brief = Brief(typology=brief.typology, source=brief.source)
                out.append({"origin": "plan", "brief": brief, "parents": []})
        return out

    async def run_round(self, r: int) -> bool:
        """One round; False if a stop interrupted it before it could be closed."""
        t0 = time.monotonic()
        self.apply_expert(r)
        specs = self.slots(r)
        results: dict[int, DebateResult] = {
            s: load_result(self.store, row, self.version) for s, row in self.store.debates_of(r).items()
        }
        p = self.progress
        p.round, p.planned, p.done, p.status = r, len(specs), len(results), "debating"
        self.on_progress(p)
        sem = asyncio.Semaphore(self.cfg.concurrency)

        async def one(slot: int) -> DebateResult | None:
            async with sem:
                if self.stop_requested:
                    return None
                p.in_flight += 1
                self.on_progress(p)
                try:
                    return await self.debate(r, slot, specs[slot])
                finally:
                    p.in_flight -= 1

        tasks = [asyncio.create_task(one(s)) for s in range(len(specs)) if s not in results]
        for fut in asyncio.as_completed(tasks):
            res = await fut
            if res is None:
                continue
            self.store.record_debate(res, self.version)
            results[res.slot] = res
            p.done, p.tokens = len(results), self.tokens()
            self.on_progress(p)
        if self.stop_requested or len(results) < len(specs):
            # a stop leaves the round open even if every debate came back before it took
            # effect: the resume closes it, so where a stop lands never changes the outcome
            return False
        p.status = "tournament"
        self.on_progress(p)
        finals = [(s, results[s].final) for s in sorted(results)]
        for _, c in finals:
            if c is not None and c.review.accepted:
                self.known[c.scenario.uid] = c
        stats = await self.tournament.play_round(r, finals)
        self.close_round(r, results, time.monotonic() - t0, stats)
        return True

    async def debate(self, r: int, slot: int, spec: dict) -> DebateResult:
        did = debate_id(self.cfg.seed, r, slot)
        t0 = time.monotonic()
        state = await graph.ainvoke(
            {
                "debate_id": did,
                "origin": spec["origin"],
                "brief": spec["brief"],
                "parents": spec["parents"],
                "sample": r * 10_000 + slot,
                "turn": 0,
                "max_turns": self.cfg.debate_turns,
                "target": self.cfg.evasion_target,
                "measure": self.principles.judge.evasion_measure,
                "turns": [],
            },
            context=self.calls,
        )
        best = state.get("best")
        return DebateResult(
            did,
            r,
            slot,
            spec["origin"],
            best,
            state.get("outcome") or "failed",
            state.get("error"),
            round(time.monotonic() - t0, 4),
            state["turns"],
        )

    # ---------------------------------------------------------------- the judge, for the tournament

    async def _match(self, r: int, a: Candidate, b: Candidate) -> Winner | None:
        """The judge's verdict for (a, b) in round r; stored verdicts are reused."""
        mid = match_id(a.scenario.uid, b.scenario.uid, r)
        row = self.store.match(mid)
        if row is not None:
            w = Winner(row["winner"])
            return w if row["a"] == a.scenario.uid else {Winner.A: Winner.B, Winner.B: Winner.A}.get(w, w)
        try:
            out = await self.calls.call("judge", "compare", a, b)
        except RoleFailure as err:
            self.store.record_match_failure(mid, err.cause, err.calls)
            return None
        self.store.record_match(mid, r, a.scenario.uid, b.scenario.uid, out.value, "tournament", out.calls)
        return out.value.winner

    def close_round(self, r: int, results: dict[int, DebateResult], seconds: float, stats: dict) -> None:
        self.parents.close(r, {c: e.scenario_id for c, e in self.archive.cells.items()})
        top = self.elo.top(self.cfg.tournament.top_k)
        self.stable = self.stable + 1 if top == self.last_top and top else 0
        self.last_top = top
        failures = sum(1 for x in results.values() if x.outcome == "failed")
        self.failed_streak = self.failed_streak + 1 if results and failures == len(results) else 0
        self.store.close_round(
            r,
            {sid: (rating, self.elo.games.get(sid, 0)) for sid, rating in self.elo.ratings.items()},
            self.archive.cells,
            {
                "detector_version": self.version,
                "candidates": len(results),
                "failures": failures,
                "coverage": self.archive.coverage,
                "qd_score": self.archive.qd_score,
                "best_elo": self._best_elo(),
                "tokens": self.tokens(),
                "seconds": round(seconds, 3),
                **self.archive.diversity(),
                "filter_dropped": stats.get(AddStatus.FILTERED.value, 0),
                "filter_kept": sum(
                    v for k, v in stats.items() if k not in (AddStatus.FILTERED, AddStatus.REJECTED)
                ),
            },
            {
                "stable": self.stable,
                "top": top,
                "last_stats": stats,
                "failed_streak": self.failed_streak,
                "expert_seen": self.expert_seen,
                "barred": sorted(self.tournament.barred),
                "parents": self.parents.state(),
            },
        )
        p = self.progress
        if self.failed_streak:
            last = next((x.error for _, x in sorted(results.items(), reverse=True) if x.error), "unknown")
            p.warnings.append(f"round {r}: all {len(results)} debates failed; last cause: {last}")
        p.coverage, p.best_elo, p.status = self.archive.coverage, self._best_elo(), "round closed"
        p.round_seconds.append(seconds)
        self.on_progress(p)


__all__ = ["RunOutcome", "Supervisor"]
