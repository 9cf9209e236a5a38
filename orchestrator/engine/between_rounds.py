"""What happens between the supervisor's rounds: expert verdicts are applied; every
co-evolution period the defender retrains on the elites and the archive is re-scored; and
every `realism.period` rounds the realism discriminator is refitted on the run's recent
scenarios.

`BetweenRounds` is mixed into `Supervisor`, whose state (store, archive, tournament, Elo,
progress, role calls, retrain) it reads and updates.
"""

from __future__ import annotations

import numpy as np

from agents.models import Verdict, Winner
from agents.principles import utility
from orchestrator.engine.layout import RunLayout
from orchestrator.engine.roles import RoleFailure
from orchestrator.engine.store.expert import ExpertError, ExpertStore, rejected_ids


class BetweenRounds:
    """Expert review and co-evolution, as methods of the supervisor."""

    # ---------------------------------------------------------------- expert review

    def apply_expert(self, r: int) -> None:
        """Apply the expert verdicts added since the last ones applied: scenarios marked
        unrealistic leave the archive for good; pairwise verdicts are played in the Elo
        tournament and recorded as matches of kind ``human`` (pairs naming a scenario that
        was never evaluated are skipped)."""
        try:
            with ExpertStore(self.store.path.parent, readonly=True) as ex:
                verdicts, pairs = ex.verdicts(after=self.expert_seen[0]), ex.pairs(after=self.expert_seen[1])
        except ExpertError as err:  # the run goes on; the verdicts are applied once readable
            self.progress.warnings.append(f"round {r}: expert verdicts not applied: {err}")
            return
        if not verdicts and not pairs:
            return
        self.tournament.barred = rejected_ids(verdicts, self.tournament.barred)
        removed = [c for sid in sorted(self.tournament.barred) for c in self.archive.remove(sid)]
        for p in pairs:
            if self.store.evaluation(p.a) is None or self.store.evaluation(p.b) is None:
                continue
            self.tournament.play_human(p.a, p.b, Winner(p.winner))
            verdict = Verdict(
                winner=Winner(p.winner), confidence=1.0, rationale=p.reason[:800], judge=f"human:{p.analyst}"
            )
            self.store.record_match(f"human-{p.id:06d}", r, p.a, p.b, verdict, "human", [])
        self.expert_seen = [
            verdicts[-1].id if verdicts else self.expert_seen[0],
            pairs[-1].id if pairs else self.expert_seen[1],
        ]
        self.progress.coverage = self.archive.coverage
        if removed:
            self.progress.warnings.append(f"round {r}: experts removed {len(removed)} archive cell(s)")

    # ---------------------------------------------------------------- co-evolution

    async def coevolve(self, r: int) -> None:
        """Retrain the detectors on World + elites, then re-score the archive with them."""
        version = self.version + 1
        elites = [self._candidate(s).scenario for s in self.archive.elites()]
        self.progress.status = f"retraining detectors (v{version})"
        self.on_progress(self.progress)
        path, metrics = await self.retrain(version, elites)
        self.version = version
        self.progress.detector_version = version
        rescored = {}
        for cell, e in sorted(self.archive.cells.items()):
            c = self._candidate(e.scenario_id)
            try:
                rep = (await self.calls.call("adversary", "evaluate", c.scenario)).value
            except RoleFailure:
                continue
            c = c.model_copy(update={"report": rep})
            self.known[e.scenario_id] = c
            rescored[cell] = c
        recall = 1 - float(np.mean([c.report.evaded_share for c in rescored.values()])) if rescored else 0.0
        self.store.record_detector_version(
            version,
            r,
            str(path),
            {**metrics, "archive_recall": recall},
            [c.report for c in rescored.values()],
        )
        for cell, c in rescored.items():
            self.archive.place(cell, c.scenario, c.review, c.report, utility(c, self.principles))

    # ---------------------------------------------------------------- the realism discriminator

    def _refit_due(self, last: int) -> bool:
        """After round ``last`` closed: is a refit of the realism discriminator due and not yet saved?"""
        rc = self.cfg.realism
        if self.refit is None or not rc.enabled or not rc.period or last < 0 or (last + 1) % rc.period:
            return False
        if last + 1 >= self.cfg.budgets.rounds:
            return False
        return not RunLayout.of(self.store.path.parent).realism_fit(last).exists()

    async def refit_discriminator(self, r: int) -> None:
        """Refit the realism discriminator on the baseline instances and the run's recent
        scenarios; the critics review with it from the next round on. Archive entries keep
        the reviews they were admitted with."""
        self.progress.status = "refitting the realism discriminator"
        self.on_progress(self.progress)
        scenarios = self.store.recent_scenarios(r, self.cfg.realism.history)
        await self.refit(r, scenarios, self.version)


__all__ = ["BetweenRounds"]
