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
from detectors.split import TemporalSplit
from graph_schema import inject
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
    thresholds: dict[str, float] = field(default_factory=dict)  # budget (as "%g") -> alert threshold


@dataclass
class Outcome:
    """How B's detectors see one scenario compiled into B's test period."""

    scenario_id: str
    typology: str
    funds_usd: float  # funds placed, US dollars
    value: np.ndarray  # laundered value per row in US dollars (camouflage rows: 0)
    scores: dict[str, np.ndarray] = field(default_factory=dict)  # detector -> score per row
    alerted: dict[str, np.ndarray] = field(default_factory=dict)  # detector -> alerted per row
    # detector -> the highest score of each placement (the first is the one scored above):
    # a case is alerted at a budget when its highest score reaches that budget's threshold
    max_scores: dict[str, list[float]] = field(default_factory=dict)


def _outcome(c) -> Outcome:
    s = c.scenario
    return Outcome(c.scenario_id, s.primary_typology.value, in_usd(s.funds_placed, s.currency.value),
                   c.laundered_value * in_usd(1.0, s.currency.value))


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
        out = _outcome(c)
        for a in self.armed:
            scores = np.asarray(a.detector.score_injected(a.graph, c), dtype=np.float64)
            out.scores[a.name], out.alerted[a.name] = scores, scores >= a.threshold
        return out

    def evaluate_all(
        self, scenarios: list[Scenario], seed: int = 0, placements: int = 1
    ) -> tuple[list[Outcome], dict[str, str]]:
        """Every scenario that compiles into B's test period, and the reason of each that does
        not (scenario id -> the compiler's message): a report gives both, never drops them.

        Each scenario is placed ``placements`` times (compile seeds ``seed``, ``seed + 1``,
        ...: other times and accounts) and each placement is scored as if alone in B
        (`Detector.score_many`). A scenario counts as failed if any placement does not
        compile, so that every evaluated scenario has all its placements.
        """
        placed, failed = [], {}
        for s in scenarios:
            try:
                placed.append(
                    [compile_scenario(s, self.world, seed + k, window=self.window) for k in range(placements)]
                )
            except ScenarioError as err:
                failed[s.uid] = str(err)
        outcomes = [_outcome(cs[0]) for cs in placed]
        flat = [c for cs in placed for c in cs]  # compiled: rides are scored as the payments they are
        for a in self.armed:
            scored = [np.asarray(x, dtype=np.float64) for x in a.detector.score_many(a.graph, flat)]
            for i, o in enumerate(outcomes):
                mine = scored[i * placements : (i + 1) * placements]
                o.scores[a.name], o.alerted[a.name] = mine[0], mine[0] >= a.threshold
                o.max_scores[a.name] = [float(x.max()) if len(x) else float("-inf") for x in mine]
        return outcomes, failed


def heldout_world(cfg: WorldConfig, seed_offset: int, training_share: float) -> World:
    """World B with its baseline laundering: ``cfg`` with seed ``cfg.seed + seed_offset``.

    Raises:
        ValueError: ``seed_offset`` is 0 (B would be the evolution World itself).
    """
    if seed_offset == 0:
        raise ValueError("seed_offset must not be 0: World B must not be the World the loop evolved in")
    b_cfg = cfg.model_copy(update={"seed": cfg.seed + seed_offset})
    return inject_baseline(generate_world(b_cfg), training_share, b_cfg.seed)


def arm_detector(
    world: World,
    name: str,
    overrides: dict,
    budget: float = 0.005,
    extra: list | None = None,
    label: str | None = None,
    budgets: list[float] | tuple[float, ...] = (),
) -> tuple[Armed, tuple[int, int], np.ndarray]:
    """Train detector ``name`` (called ``label``, default ``name``) on B's training split and
    arm it on B's test period; returns
    it, the test window and its scores of every transaction of B.

    ``budgets``: the alert budgets whose thresholds are kept too (the headline's).

    ``extra`` compiled scenarios (placed in B's training period) are injected for training
    only (E2's retraining): the split's cut times are B's own, and the detector scores,
    alerts and keeps its negatives on B without them, so that a retrained detector differs
    from the original in its weights alone.
    """
    data = from_ledger(world.ledger, world.n_accounts)
    split = temporal_split(data)
    fit_data, fit_split = data, split
    if extra:
        aug = inject(world, extra)
        fit_data = from_ledger(aug.ledger, aug.n_accounts)
        t = fit_data.t
        fit_split = TemporalSplit(
            t < split.t_val,
            (t >= split.t_val) & (t < split.t_test),
            t >= split.t_test,
            split.t_val,
            split.t_test,
        )
    det = make(name, **overrides).fit(fit_data, fit_split)
    graph = det.prepare(data)
    scores = np.asarray(det.score_prepared(graph), dtype=np.float64)
    threshold = float(np.quantile(scores[split.test], 1 - budget))
    thresholds = {f"{b:g}": float(np.quantile(scores[split.test], 1 - b)) for b in budgets}
    legit_test = split.test & ~data.y.astype(bool)
    armed = Armed(label or name, det, graph, threshold, scores[legit_test], thresholds)
    return armed, (int(split.t_test), int(world.end_epoch)), scores


def build_heldout(
    cfg: WorldConfig,
    seed_offset: int,
    detectors: dict[str, dict],
    training_share: float,
    budget: float = 0.005,
) -> HeldOut:
    """Generate World B (``cfg`` with seed ``cfg.seed + seed_offset``), inject baseline
    typologies at ``training_share``, and train ``detectors`` (name -> config overrides) on it.

    Raises:
        ValueError: ``seed_offset`` is 0 (B would be the evolution World itself).
    """
    world = heldout_world(cfg, seed_offset, training_share)
    armed, window = [], None
    for name, overrides in detectors.items():  # a "name@tag" key trains `name` again under its own label
        a, window, _ = arm_detector(world, name.split("@")[0], overrides, budget, label=name)
        armed.append(a)
    return HeldOut(world, window, armed, budget)


__all__ = ["Armed", "HeldOut", "Outcome", "arm_detector", "build_heldout", "heldout_world"]
