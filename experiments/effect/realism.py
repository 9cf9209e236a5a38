"""Realism judged without the loop's own critic: a classifier two-sample test (C2ST) in World B.

A LightGBM discriminator tries to tell the accounts of scenarios (compiled into B's test
period) from matched legitimate accounts of B: for every scenario account, up to ``k``
background accounts of the same profile that take no part in any laundering, drawn as the
compiler hijacks one (quiet ones in the period too). Features describe each account's behaviour in that period
(counts, sums and spread of amounts, round amounts, hours, weekends, counterparties,
cross-currency share, channels, pass-through, gaps, the active span). Folds are grouped by
scenario, so the discriminator is always tested on operations it never saw; and an account
two scenarios use is a scenario account once, in the first (`distinct_units`), so that its
background history is never learnt in one fold and met again in another. AUC 0.5 means
indistinguishable. The AUC is taken within profiles (`matched_auc`: the mean, over scenario
accounts, of their rank among the controls of their own profile), so that a scenario that
recruits most of a small World's businesses, which leaves fewer clean ones to draw as
controls, is not told apart by being businesses; the pooled AUC is kept beside it. The
interval resamples accounts (scipy.stats.bootstrap).

The placebo is the same test with every row of the scenarios taken away: the hijacked
accounts' background alone against the same controls (opened accounts, which have no
background, left out). It reads 0.5 when the controls are matched and the folds do not
leak, whatever the scenarios do; the C2ST is read against it.

The leak check asks the same of single transactions with a depth-3 decision tree (its
interval resamples scenarios with their matched accounts' rows, as rows of one operation are
not independent): a high AUC names a one-transaction tell (e.g. an amount band or an hour)
that a rule would catch; the single-split probes (`probes`) ask it of the amount, hour,
weekday and payer's age alone.

The AUC rises with the number of scenarios the discriminator learns from, for one and the
same generator; `c2st_sized` gives it at a set number, so that groups of different size
compare.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold
from sklearn.tree import DecisionTreeClassifier, export_text

from detectors.realism import TX_FEATURES, frame, matched_auc, tx_features
from detectors.units import META, matched_share, matched_units, unit_features, with_controls
from experiments.effect.probes import cluster_auc, first_seen, probe_features, single_splits
from experiments.effect.stats import Estimate, interval
from graph_schema.compiler import CompiledScenario
from graph_schema.world import World


@dataclass(frozen=True)
class RealismResult:
    """The C2ST and the leak check for one group of scenarios."""

    auc: Estimate  # account-level discriminator, out of fold
    leak_auc: Estimate  # depth-3 tree on single transactions, out of fold; interval over scenarios
    leak_rule: str  # the tree's first split
    scenario_accounts: int
    matched_accounts: int
    matched_share: float  # scenario accounts with at least one matched control
    probes: dict  # single-split probe name -> {"auc": Estimate as dict, "rule": str} (`probes`)
    # typology family -> the C2ST's AUC on that family's accounts and their controls (`by_family`)
    families: dict[str, Estimate] = field(default_factory=dict)
    placebo: Estimate | None = None  # the same test on the hijacked accounts' background alone
    repeats: int = 0  # scenario accounts left out because an earlier scenario used the account
    pooled: float | None = None  # the ordinary AUC, profiles mixed (how figures before 2026-12-04 read)

    def as_dict(self) -> dict:
        return {"auc": self.auc.as_dict(), "leak_auc": self.leak_auc.as_dict(), "leak_rule": self.leak_rule,
                "scenario_accounts": self.scenario_accounts, "matched_accounts": self.matched_accounts,
                "matched_share": self.matched_share, "probes": self.probes,
                "families": {k: v.as_dict() for k, v in self.families.items()},
                **({"placebo": self.placebo.as_dict()} if self.placebo else {}), "repeats": self.repeats,
                "pooled_auc": self.pooled}


def _auc_interval(y: np.ndarray, p: np.ndarray, strata: np.ndarray, seed: int, resamples: int) -> Estimate:
    """`matched_auc` (the AUC within profiles) with a bootstrap interval over accounts."""
    low, high = interval((y, p, strata), matched_auc, seed, resamples)
    return Estimate(matched_auc(y, p, strata), low, high, int(y.sum()))


def _strata(units: pd.DataFrame) -> np.ndarray:
    """Each unit's profile as an integer code: the strata of `matched_auc`."""
    return pd.factorize(units["profile"].astype(str))[0]


def _classifier(seed: int):
    """The C2ST's discriminator: a small single-threaded LightGBM."""
    from lightgbm import LGBMClassifier

    return LGBMClassifier(n_estimators=200, num_leaves=15, min_child_samples=5, learning_rate=0.05,
                          verbose=-1, random_state=seed, n_jobs=1)


def _out_of_fold(model, x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> np.ndarray:
    p = np.zeros(len(y))
    for tr, te in GroupKFold(n_splits=min(5, len(np.unique(groups)))).split(x, y, groups):
        p[te] = model().fit(x[tr], y[tr]).predict_proba(x[te])[:, 1]
    return p


def c2st(
    world: World,
    window: tuple[int, int],
    compiled: list[CompiledScenario],
    k: int = 3,
    seed: int = 0,
    resamples: int = 1000,
) -> RealismResult:
    """The C2ST and the leak check for ``compiled`` (scenarios compiled into ``window`` of ``world``).

    Raises:
        ValueError: fewer than 2 scenarios (the folds are grouped by scenario).
    """
    if len(compiled) < 2:
        raise ValueError("c2st needs at least 2 compiled scenarios")
    base = _window_frame(world, window)
    u, scen, y, p, groups = _scores(world, base, window, compiled, k, seed)
    auc = _auc_interval(y, p, _strata(u), seed, resamples)
    tx_auc, rule, probes = _leak_check(base, u, scen, compiled, first_seen(world, scen), seed, resamples)
    families = by_family([c.scenario.primary_typology.value for c in compiled], y, p, groups, seed, resamples)
    span = float(window[1] - window[0])
    return RealismResult(auc, tx_auc, rule, int(y.sum()), int((y == 0).sum()), matched_share(u), probes,
                         families, placebo(base, u, world.n_accounts, span, seed, resamples),
                         repeats(compiled), float(roc_auc_score(y, p)))


def placebo(base: pd.DataFrame, u: pd.DataFrame, n: int, span: float, seed: int, resamples: int
            ) -> Estimate | None:
    """The C2ST with the scenarios' rows taken away: the hijacked scenario accounts of ``u``
    (ids below ``n``), each with its own background in ``base`` only, against the controls
    they drew. None when fewer than 2 scenarios keep a hijacked account."""
    pos = (u["label"] == 1) & (u["account"] < n)
    keep = pos | ((u["label"] == 0) & u["control_of"].isin(u.index[pos]))
    units = u[keep]
    if units.loc[units["label"] == 1, "group"].nunique() < 2 or (units["label"] == 0).sum() == 0:
        return None
    feats = unit_features(base, units, base.iloc[:0], span)
    cols = [c for c in feats.columns if c not in META]
    y = feats["label"].to_numpy(int)
    p = _out_of_fold(lambda: _classifier(seed), feats[cols].to_numpy(float), y, feats["group"].to_numpy(int))
    return _auc_interval(y, p, _strata(feats), seed, resamples)


def placebo_text(r: RealismResult) -> str:
    """The placebo and the repeats as a clause of a printed line."""
    pl = "n/a" if r.placebo is None else f"{r.placebo.value:.3f} [{r.placebo.low:.3f}, {r.placebo.high:.3f}]"
    return (f"placebo (the hijacked accounts' background alone) {pl}; {r.repeats} repeated scenario "
            "accounts left out")


def repeats(compiled: list[CompiledScenario]) -> int:
    """Scenario accounts the C2ST leaves out because an earlier scenario used the same
    background account (`distinct_units`)."""
    each = [{a for a in c.entity_accounts.values() if a >= 0} for c in compiled]
    return sum(map(len, each)) - len(set().union(*each))


def _window_frame(world: World, window: tuple[int, int]) -> pd.DataFrame:
    ts = world.ledger.column("timestamp").to_numpy().astype("datetime64[s]").view(np.int64)
    keep = pa_mask(ts, window)
    out = frame(world.ledger.filter(keep), world.n_accounts, 0)
    out.index = np.flatnonzero(keep.to_numpy(zero_copy_only=False))  # ledger positions (rides name them)
    return out


def _scores(world: World, base: pd.DataFrame, window: tuple[int, int], compiled: list[CompiledScenario],
            k: int, seed: int) -> tuple:
    """The matched units, the scenarios' rows, and the labels, out-of-fold scores and groups."""
    u, scen = matched_units(world, base, compiled, k, np.random.default_rng(seed), distinct=True,
                            active_only=False)
    feats = unit_features(base, u, scen, float(window[1] - window[0]))
    cols = [c for c in feats.columns if c not in META]
    x, y, groups = feats[cols].to_numpy(float), feats["label"].to_numpy(int), feats["group"].to_numpy(int)
    return u, scen, y, _out_of_fold(lambda: _classifier(seed), x, y, groups), groups


def c2st_scores(world: World, window: tuple[int, int], compiled: list[CompiledScenario], k: int = 3,
                seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray, float]:
    """What `c2st` reports before its intervals: the matched units, their labels, out-of-fold
    scores and groups (scenario indices into ``compiled``), and the AUC within profiles."""
    u, _, y, p, groups = _scores(world, _window_frame(world, window), window, compiled, k, seed)
    return u, y, p, groups, matched_auc(y, p, _strata(u))


def c2st_sized(world: World, window: tuple[int, int], compiled: list[CompiledScenario], scenarios: int,
               draws: int = 5, k: int = 3, seed: int = 0) -> Estimate:
    """The C2ST's AUC at a set number of scenarios: the mean over ``draws`` random draws of
    ``scenarios`` of ``compiled`` (low, high: the lowest and highest draw; n: ``scenarios``).

    The discriminator learns more from more operations, so for one and the same generator
    its AUC rises with their number (the planner's blended drafts in
    `experiments.bench.draft_realism`: 0.77 at 24, 0.80 at 47, 0.85 on all 126). Two
    populations are therefore compared at the same number of scenarios, never each at its
    own; a bar on the AUC holds at a stated number.

    Raises:
        ValueError: ``scenarios`` below 2 or above ``len(compiled)``.
    """
    if not 2 <= scenarios <= len(compiled):
        raise ValueError(f"c2st_sized needs 2 to {len(compiled)} scenarios, not {scenarios}")
    base, rng = _window_frame(world, window), np.random.default_rng(seed)
    aucs = []
    for d in range(draws):
        pick = np.sort(rng.choice(len(compiled), size=scenarios, replace=False))
        u, _, y, p, _ = _scores(world, base, window, [compiled[i] for i in pick], k, seed + d)
        aucs.append(matched_auc(y, p, _strata(u)))
    return Estimate(float(np.mean(aucs)), min(aucs), max(aucs), scenarios)


def by_family(family: list[str], y: np.ndarray, p: np.ndarray, groups: np.ndarray, seed: int,
              resamples: int) -> dict[str, Estimate]:
    """The C2ST's AUC within each typology family (``family[g]`` of scenario ``g``): its
    accounts' out-of-fold scores against those of their own matched controls, from the one
    discriminator fitted on all, with an interval that resamples the family's scenarios (n:
    scenarios). What to set beside the legitimate typology of the same shape
    (`legit_reference`): a fan-out beside payroll, a fan-in beside supplier payments.
    Families with fewer than 2 scenarios are left out."""
    names = np.asarray(family, dtype=object)[groups]
    out = {}
    for name in sorted(set(family)):
        m = names == name
        if len(np.unique(groups[m])) >= 2 and 0 < y[m].sum() < m.sum():
            out[name] = cluster_auc(y[m], p[m], groups[m], seed, resamples)
    return out


def _leak_check(
    base: pd.DataFrame,
    u: pd.DataFrame,
    scen: pd.DataFrame,
    compiled: list[CompiledScenario],
    seen: np.ndarray,
    seed: int,
    resamples: int,
) -> tuple:
    """The leak check: a depth-3 tree on single transactions, the scenarios' against the
    matched accounts'; its AUC interval, its first split, and the single-split probes."""
    legit = base[base["src"].isin(set(u.loc[u["label"] == 0, "account"])) & ~base["laundering"]]
    tx = pd.concat([tx_features(scen), tx_features(legit)], ignore_index=True)
    ty = np.r_[np.ones(len(scen), int), np.zeros(len(legit), int)]
    acc_group = dict(zip(u.loc[u["label"] == 0, "account"], u.loc[u["label"] == 0, "group"], strict=False))
    tg = np.r_[
        np.repeat(np.arange(len(compiled)), [c.rows.num_rows for c in compiled]),
        legit["src"].map(acc_group).to_numpy(int),
    ]
    def tree():
        return DecisionTreeClassifier(max_depth=3, random_state=seed, class_weight="balanced")

    tp = _out_of_fold(tree, tx[TX_FEATURES].to_numpy(float), ty, tg)
    rule = export_text(
        tree().fit(tx[TX_FEATURES].to_numpy(float), ty), feature_names=TX_FEATURES
    ).splitlines()[0]
    rows = pd.concat([scen, legit], ignore_index=True)
    probes = single_splits(probe_features(rows, seen), ty, tg, seed, resamples)
    return cluster_auc(ty, tp, tg, seed, resamples), rule.strip("|- ").strip(), probes


def legit_reference(world: World, participants: dict[str, np.ndarray], k: int = 3, seed: int = 0,
                    limit: int = 600, resamples: int = 1000) -> dict[str, Estimate]:
    """The same C2ST on the World's own legitimate typologies: for each (`legit_participants`),
    up to ``limit`` of its accounts against ``k`` active accounts each of the same profile that
    take part in none, over the World's whole period. What a realism AUC should be read
    against: how far structured legitimate activity (payroll, trade, remittances, cash
    businesses) stands from its profile's peers. Typologies with fewer than 20 active
    accounts are left out."""
    n, rng = world.n_accounts, np.random.default_rng(seed)
    base = frame(world.ledger, n, 0)
    span = float(max(base["t"].max() - base["t"].min(), 86_400))
    profiles = np.asarray(world.accounts.column("profile").to_pylist(), dtype=object)
    active = np.unique(np.concatenate([base["src"].values, base["dst"].values]))
    excluded = np.concatenate(list(participants.values()))
    out = {}
    for name, accounts in participants.items():
        accounts = np.intersect1d(accounts, active[active < n])
        if len(accounts) < 20:
            continue
        if len(accounts) > limit:
            accounts = np.sort(rng.choice(accounts, limit, replace=False))
        units = [(a, 1, g, profiles[a], -1, 0) for g, a in enumerate(map(int, accounts))]
        matched = with_controls(units, base, n, profiles, excluded, k, rng)
        feats = unit_features(base, matched, base.iloc[:0], span)
        cols = [c for c in feats.columns if c not in META]
        y = feats["label"].to_numpy(int)
        groups = feats["group"].to_numpy(int)
        p = _out_of_fold(lambda: _classifier(seed), feats[cols].to_numpy(float), y, groups)
        out[name] = _auc_interval(y, p, _strata(feats), seed, resamples)
    return out


def pa_mask(ts: np.ndarray, window: tuple[int, int]):
    import pyarrow as pa

    return pa.array((ts >= window[0]) & (ts < window[1]))


__all__ = ["RealismResult", "c2st", "c2st_scores", "c2st_sized", "legit_reference", "placebo", "placebo_text",
           "repeats"]
