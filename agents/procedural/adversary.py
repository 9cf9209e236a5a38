"""The detector adversary's evidence: scores from trained detectors, never from a model's
opinion. Used as it is in procedural mode; the LLM adversary adds a written argument.

Evasion is measured at an alert budget, as a bank would: a transaction is alerted when
its score is in the top ``budget`` share of the World's own scores for that detector.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass

import numpy as np

from agents.base import Adversary
from agents.models import DetectorEvidence, EvasionReport, TransferEvidence
from agents.principles import PurposeRules
from detectors import Detector, from_ledger
from graph_schema.compiler import CompiledScenario, compile_scenario
from graph_schema.compiler.flows import integrated_funds
from graph_schema.dsl import Scenario
from graph_schema.reference import in_usd


@dataclass
class _Armed:
    name: str
    version: str
    detector: Detector
    world_graph: object
    sorted_scores: np.ndarray
    threshold: float


class DetectorAdversary(Adversary):
    """Scenario -> EvasionReport by injecting the scenario and rescoring its k-hop ball.

    Args:
        world: the World the scenarios are compiled into.
        detectors: fitted detectors by name.
        versions: version label per detector name (e.g. a hash of the saved model).
        budget: alert budget, the share of the World's transactions alerted (0.5% default).
        seed: compile seed; the critic must use the same one.
        purpose: what counts as integrated funds (endpoint roles, exit purposes).
        reference: the contrastive filter's reference detectors by name (none: no filter
            evidence, ``reference_caught`` stays None).
        reference_budget: alert share of the reference ensemble (reference and deployed
            detectors together).
        world_scores: each detector's scores of the World's own transactions, if already
            computed (e.g. saved when the detector was trained); the rest are scored here.
            Scoring a multi-million-edge World is the adversary's largest memory peak.
    """

    def __init__(self, world, detectors: dict[str, Detector], versions: dict[str, str] | None = None,
                 budget: float = 0.005, seed: int = 0, purpose: PurposeRules | None = None,
                 reference: dict[str, Detector] | None = None, reference_budget: float = 0.02,
                 world_scores: dict[str, np.ndarray] | None = None):
        if not detectors:
            raise ValueError("the adversary needs at least one fitted detector")
        self.world, self.budget, self.seed = world, budget, seed
        self.purpose = purpose or PurposeRules()
        self._lock = threading.Lock()  # torch modules are not re-entrant across threads
        data = from_ledger(world.ledger, world.n_accounts)
        shared: dict = {}  # detectors with the same inputs share one prepared World
        known = world_scores or {}

        def arm(name: str, det: Detector) -> _Armed:
            wg = det.prepare(data, shared)
            scores = known.get(name)
            if scores is None or len(scores) != data.n_edges:
                scores = det.score_prepared(wg)
            scores = np.sort(np.asarray(scores))
            thr = float(np.quantile(scores, 1 - budget))
            return _Armed(name, (versions or {}).get(name, "unversioned"), det, wg, scores, thr)

        self.armed = [arm(n, d) for n, d in detectors.items()]
        self.reference = [arm(n, d) for n, d in (reference or {}).items()]
        # the reference ensemble alerts at its own, larger budget
        self.reference_thresholds = {a.name: float(np.quantile(a.sorted_scores, 1 - reference_budget))
                                     for a in self.armed + self.reference} if self.reference else {}

    async def evaluate(self, scenario: Scenario) -> EvasionReport:
        return await asyncio.to_thread(self.evaluate_now, scenario)

    def evaluate_now(self, scenario: Scenario) -> EvasionReport:
        """Raises: ScenarioError if the scenario does not compile in the World."""
        compiled = compile_scenario(scenario, self.world, self.seed)
        shared: dict = {}  # detectors with the same layers share the scenario's context
        with self._lock:
            scores = {a.name: a.detector.score_injected(a.world_graph, compiled, shared)
                      for a in self.armed + self.reference}
        return self.report(compiled, scores)

    def reference_caught(self, scores: dict[str, np.ndarray]) -> bool | None:
        """Whether the reference ensemble alerts any of the scenario's transactions (None
        without reference detectors)."""
        if not self.reference_thresholds:
            return None
        return bool(any((np.asarray(scores[n]) >= thr).any() for n, thr in self.reference_thresholds.items()))

    def report(self, compiled: CompiledScenario, scores: dict[str, np.ndarray]) -> EvasionReport:
        """Assemble the report from per-detector scores of the compiled rows (the reference
        detectors' scores, if any, only decide ``reference_caught``)."""
        evidence, flags = [], []
        for a in self.armed:
            s = np.asarray(scores[a.name], dtype=np.float64)
            flagged = s >= a.threshold
            pct = np.searchsorted(a.sorted_scores, s, side="right") / len(a.sorted_scores)
            flags.append(flagged)
            evidence.append(DetectorEvidence(
                detector=a.name, version=a.version, alert_threshold=a.threshold, rows=len(s),
                flagged=int(flagged.sum()), mean_score=float(s.mean()), mean_percentile=float(pct.mean())))
        flags_m = np.array(flags)  # (detectors, rows)
        stack = np.array([scores[a.name] for a in self.armed])
        transfers = []
        ti = compiled.transfer_index
        for i in np.unique(ti):
            rows = ti == i
            transfers.append(TransferEvidence(
                transfer=compiled.scenario.transfers[int(i)].id, rows=int(rows.sum()),
                max_score=float(stack[:, rows].max()), flagged_rows=int(flags_m[:, rows].any(0).sum()),
                flagged_by=[a.name for k, a in enumerate(self.armed) if flags_m[k, rows].any()]))
        transfers.sort(key=lambda t: (-t.flagged_rows, -t.max_score, t.transfer))
        evaded = float(np.mean([1 - e.flagged / e.rows for e in evidence]))
        mean_pct = float(np.mean([e.mean_percentile for e in evidence]))
        evasion = 0.5 * evaded + 0.5 * (1 - mean_pct)
        s = compiled.scenario
        value = compiled.laundered_value
        total = value.sum()
        value_evaded = (float(np.mean([(value * ~f).sum() / total for f in flags_m])) if total > 0
                        else 1.0 - float(flags_m.any(1).mean()))
        case_evaded = float(np.mean(~flags_m.any(1)))
        integrated = integrated_funds(compiled, self.purpose.endpoint_roles, self.purpose.exit_purposes)
        return EvasionReport(scenario_id=compiled.scenario_id, budget=self.budget, detectors=evidence,
                             transfers=transfers, evaded_share=round(evaded, 6),
                             evasion=round(evasion, 6), evaded_value_share=round(value_evaded, 6),
                             case_evaded_share=round(case_evaded, 6),
                             funds_integrated=round(in_usd(integrated, s.currency.value), 2),
                             integration_share=round(min(1.0, integrated / s.funds_placed), 6),
                             reference_caught=self.reference_caught(scores),
                             argument=_argument(evidence, transfers))


def _argument(evidence: list[DetectorEvidence], transfers: list[TransferEvidence]) -> str:
    parts = [
        f"{e.detector} alerts {e.flagged} of {e.rows} transactions "
        f"(mean score {e.mean_score:.2f}, percentile {e.mean_percentile:.2f})"
        for e in evidence
    ]
    flagged = [t for t in transfers if t.flagged_rows]
    if flagged:
        top = flagged[0]
        parts.append(
            f"most exposed: transfer '{top.transfer}' (score {top.max_score:.2f}, "
            f"flagged by {', '.join(top.flagged_by)})"
        )
    else:
        parts.append("no transfer is alerted at the budget")
    return "; ".join(parts)[:1200]


__all__ = ["DetectorAdversary"]
