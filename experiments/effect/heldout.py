"""World B: the held-out World in which every effect measurement is taken.

B is generated from the evolution World's config with another seed, so it shares the
economy's design but none of its accounts or transactions. Baseline typologies (the
library templates) are injected into B and its detectors are trained on B's training
split only (validation picks their thresholds). Scenarios under evaluation are compiled
into B's test period, which no detector ever trained on, and scored there against B's
own alert budget: a transaction is alerted when its score is in the top ``budget`` share
of the scores of B's test-period transactions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from detectors import Detector, from_ledger, make, temporal_split
from graph_schema.baseline import inject_baseline
from graph_schema.compiler import compile_scenario
from graph_schema.dsl import Scenario
from graph_schema.errors import ScenarioError
from graph_schema.reference import in_usd
from graph_schema.world import World, WorldConfig, generate_world


@dataclass
class Armed:
    """One of B's detectors, ready to score scenarios injected into B's test period."""

    name: str
    detector: Detector
    graph: object
    threshold: float
    negatives: np.ndarray  # scores of B's legitimate test-period transactions (for PR-AUC)


@dataclass
class Outcome:
    """How B's detectors see one scenario compiled into B's test period."""

    scenario_id: str
    typology: str
    funds_usd: float  # funds placed, US dollars
    value: np.ndarray  # laundered value per row (camouflage rows: 0), scenario currency
    scores: dict[str, np.ndarray] = field(default_factory=dict)  # detector -> score per row
    alerted: dict[str, np.ndarray] = field(default_factory=dict)  # detector -> alerted per row


@dataclass
class HeldOut:
    """World B with baseline laundering, its test period, and its trained detectors."""

    world: World
    window: tuple[int, int]
    armed: list[Armed]
    budget: float

    def evaluate(self, s: Scenario, seed: int = 0) -> Outcome:
        """Compile ``s`` into B's test period and score it with every detector.

        Raises:
            ScenarioError: the scenario does not compile in B's test period.
        """
        c = compile_scenario(s, self.world, seed, window=self.window)
        out = Outcome(s.uid, s.primary_typology.value, in_usd(s.funds_placed, s.currency.value), c.laundered_value)
        for a in self.armed:
            scores = np.asarray(a.detector.score_injected(a.graph, c.rows), dtype=np.float64)
            out.scores[a.name], out.alerted[a.name] = scores, scores >= a.threshold
        return out

    def evaluate_all(self, scenarios: list[Scenario], seed: int = 0) -> tuple[list[Outcome], dict[str, str]]:
        """Every scenario that compiles into B's test period, and the reason of each that does
        not (scenario id -> the compiler's message): a report gives both, never drops them."""
        outcomes, failed = [], {}
        for s in scenarios:
            try:
                outcomes.append(self.evaluate(s, seed))
            except ScenarioError as err:
                failed[s.uid] = str(err)
        return outcomes, failed


def build_heldout(cfg: WorldConfig, seed_offset: int, detectors: dict[str, dict], training_share: float,
                  budget: float = 0.005) -> HeldOut:
    """Generate World B (``cfg`` with seed ``cfg.seed + seed_offset``), inject baseline
    typologies at ``training_share``, and train ``detectors`` (name -> config overrides) on it.

    Raises:
        ValueError: ``seed_offset`` is 0 (B would be the evolution World itself).
    """
    if seed_offset == 0:
        raise ValueError("seed_offset must not be 0: World B must not be the World the loop evolved in")
    b_cfg = cfg.model_copy(update={"seed": cfg.seed + seed_offset})
    world = inject_baseline(generate_world(b_cfg), training_share, b_cfg.seed)
    data = from_ledger(world.ledger, world.n_accounts)
    split = temporal_split(data)
    legit_test = split.test & ~data.y.astype(bool)
    armed = []
    for name, overrides in detectors.items():
        det = make(name, **overrides).fit(data, split)
        graph = det.prepare(data)
        scores = np.asarray(det.score_prepared(graph), dtype=np.float64)
        threshold = float(np.quantile(scores[split.test], 1 - budget))
        armed.append(Armed(name, det, graph, threshold, scores[legit_test]))
    return HeldOut(world, (int(split.t_test), int(world.end_epoch)), armed, budget)


__all__ = ["Armed", "HeldOut", "Outcome", "build_heldout"]
