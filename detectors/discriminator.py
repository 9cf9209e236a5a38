"""The realism discriminator: can a classifier tell a scenario's accounts from their peers?

Positives are the accounts a scenario uses (hijacked accounts with their own background
payments plus the scenario's rows; new accounts with the scenario's rows); negatives are,
for every positive, up to ``k`` untainted background accounts of the same profile active
in the same period (`matched_units`). Features are the behaviour features of
`detectors.realism` (`account_features`), the same definition the effect analysis's C2ST
uses. The loop refits it on the scenarios it has seen, so what gives laundering away today
is what the critic objects to tomorrow.

`judge` scores one compiled scenario: the mean probability, over its accounts, that an
account is laundering's; the mean rank of its accounts among the matched legitimate accounts
of their profile (the share of those the discriminator finds less laundering-like: 0.5 is a
typical peer, 1 stands above them all), which is what the C2ST's AUC averages; and the
features that push it up most (LightGBM's per-feature contributions, in log-odds, averaged
over the accounts).

It is cross-fitted: ``FOLDS`` models each leave out the accounts of one fold (account id
modulo ``FOLDS``), and an account is judged by the model that never saw it, the controls'
ranks too. A loop judges children whose accounts their parents already used; a model that
had learnt those accounts' own histories would find them again, and reward a child for
changing its accounts rather than its behaviour.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from detectors.realism import frame, rank_among
from detectors.units import META, matched_units, scenario_units, unit_features


@dataclass(frozen=True)
class Giveaway:
    """What the discriminator says of one scenario."""

    p: float  # mean probability over the scenario's accounts that an account is laundering's
    accounts: int
    features: list[tuple[str, float]]  # most telling first: (feature, mean contribution in log-odds)
    rank: float | None = None  # mean rank among matched legitimate peers (None: a model saved without)

    @property
    def score(self) -> float:
        """Realism in [0, 1]: 1 while the accounts rank no higher than a typical peer of their
        profile (mean rank 0.5), 0 when they rank above every peer; by ``p`` (1 while the
        accounts look no likelier laundering's than not) for a model saved without ranks."""
        told = self.p if self.rank is None else self.rank
        return float(np.clip(2.0 * (1.0 - told), 0.0, 1.0))



class RealismDiscriminator:
    """LightGBM on account behaviour: a scenario's accounts against matched legitimate peers.

    Args:
        world: the World scenarios are compiled into (its whole period is the window).
        k: matched controls per scenario account.
        trees: boosting rounds.
        seed: seed of the control draws and of LightGBM.
    """

    PARAMS = {"objective": "binary", "num_leaves": 15, "min_data_in_leaf": 5, "learning_rate": 0.05,
              "feature_fraction": 0.9, "bagging_fraction": 0.9, "bagging_freq": 1, "verbose": -1,
              "num_threads": 1, "deterministic": True, "force_row_wise": True}

    FOLDS = 3

    def __init__(self, world, k: int = 3, trees: int = 150, seed: int = 0):
        self.world, self.k, self.trees, self.seed = world, k, trees, seed
        self.booster = None  # the one model of a file saved before cross-fitting (no folds)
        self.folds: list = []  # booster f never saw an account whose id is f modulo FOLDS
        self.peers: dict[str, np.ndarray] = {}  # profile -> controls' cross-fitted p, sorted
        self.columns: list[str] = []
        self.fitted_on = 0
        self.fitted_after: int | None = None  # the loop round after which it was fitted (-1: before round 0)

    @cached_property
    def base(self) -> pd.DataFrame:
        return frame(self.world.ledger, self.world.n_accounts, 0)

    @cached_property
    def span(self) -> float:
        t = self.base["t"]
        return float(max(t.max() - t.min(), 86_400)) if len(t) else 86_400.0

    @property
    def fitted(self) -> bool:
        return bool(self.folds) or self.booster is not None

    def fit(self, compiled: list) -> RealismDiscriminator:
        """Fit on ``compiled`` (scenarios compiled into the World) against matched controls.

        Raises:
            ValueError: fewer than 2 scenarios, or no matched control at all.
        """
        import lightgbm as lgb

        if len(compiled) < 2:
            raise ValueError(
                f"the realism discriminator needs at least 2 scenarios to fit on, got {len(compiled)}"
            )
        units, scen = matched_units(self.world, self.base, compiled, self.k, np.random.default_rng(self.seed),
                                    distinct=True)
        feats = unit_features(self.base, units, scen, self.span)
        y = feats["label"].to_numpy(int)
        if y.all() or not y.any():
            raise ValueError("the realism discriminator found no matched legitimate account to compare with")
        self.columns = [c for c in feats.columns if c not in META]
        x = feats[self.columns].to_numpy(float)

        def train(keep: np.ndarray):
            params = {**self.PARAMS, "seed": self.seed,
                      "scale_pos_weight": float((y[keep] == 0).sum() / max(y[keep].sum(), 1))}
            data = lgb.Dataset(x[keep], y[keep], feature_name=self.columns)
            return lgb.train(params, data, num_boost_round=self.trees)

        fold = feats["account"].to_numpy() % self.FOLDS
        self.folds = [train(fold != f) for f in range(self.FOLDS)]
        ctrl = y == 0
        p = self._predict(x[ctrl], fold[ctrl])
        prof = feats.loc[ctrl, "profile"].astype(str).to_numpy()
        self.peers = {"": np.sort(p), **{k: np.sort(p[prof == k]) for k in np.unique(prof)}}
        self.fitted_on = len(compiled)
        return self

    def predict(self, x: np.ndarray, accounts: np.ndarray) -> np.ndarray:
        """The p of feature rows ``x`` (columns `columns`) of ``accounts``, each from the fold
        model that never saw that account (from the one model of a file saved before
        cross-fitting)."""
        if not self.folds:
            return self.booster.predict(x)
        return self._predict(x, np.asarray(accounts) % self.FOLDS)

    def _predict(self, x: np.ndarray, fold: np.ndarray, contrib: bool = False) -> np.ndarray:
        """Each row's p (or per-feature contributions) from the booster of its fold."""
        out = np.zeros((len(x), x.shape[1] + 1) if contrib else len(x))
        for f, b in enumerate(self.folds):
            m = fold == f
            if m.any():
                out[m] = b.predict(x[m], pred_contrib=contrib)
        return out

    def _ranks(self, p: np.ndarray, profiles: list) -> np.ndarray:
        """Each p's rank among the controls of its profile (all controls if it has none)."""
        profiles = np.asarray([str(x) for x in profiles], dtype=object)
        out = np.zeros(len(p))
        for prof in np.unique(profiles):
            m = profiles == prof
            peers = self.peers.get(prof)
            out[m] = rank_among(peers if peers is not None and len(peers) else self.peers[""], p[m])
        return out

    def judge(self, compiled, top: int = 3) -> Giveaway:
        """How much ``compiled``'s accounts look like laundering's, and the features that say so."""
        if not self.fitted:
            raise RuntimeError("the realism discriminator is not fitted; call fit() or load()")
        # the scenario's own accounts only, no controls (a critic does this per review)
        units, scen = scenario_units([compiled], self.world.n_accounts, self._profiles)
        units = pd.DataFrame(units, columns=list(META))
        x = unit_features(self.base, units, scen, self.span)[self.columns].to_numpy(float)
        if not self.folds:  # a model saved before cross-fitting: the one booster, no ranks
            p, contrib, rank = self.booster.predict(x), self.booster.predict(x, pred_contrib=True), None
        else:
            fold = units["account"].to_numpy() % self.FOLDS
            p, contrib = self._predict(x, fold), self._predict(x, fold, contrib=True)
            rank = float(self._ranks(p, units["profile"].tolist()).mean())
        contrib = contrib[:, :-1].mean(axis=0)
        order = [i for i in np.argsort(-contrib, kind="stable")[:top] if contrib[i] > 0]
        named = [(self.columns[i], round(float(contrib[i]), 3)) for i in order]
        return Giveaway(float(p.mean()), len(x), named, rank)

    @cached_property
    def _profiles(self) -> np.ndarray:
        return np.asarray(self.world.accounts.column("profile").to_pylist(), dtype=object)

    # ------------------------------------------------------------------ persistence

    def save(self, path: str | Path, info: dict | None = None) -> Path:
        """Write the model, its settings and ``info`` (what it was fitted on) to ``path``, atomically."""
        if not self.fitted:
            raise RuntimeError("the realism discriminator is not fitted; nothing to save")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {"k": self.k, "trees": self.trees, "seed": self.seed, "columns": self.columns,
               "fitted_on": self.fitted_on, "info": info or {},
               **({"model": self.booster.model_to_string()} if self.booster is not None else {}),
               "folds": [b.model_to_string() for b in self.folds],
               "peers": {k: v.tolist() for k, v in self.peers.items()}}
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(doc))
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path, world) -> RealismDiscriminator:
        import lightgbm as lgb

        doc = json.loads(Path(path).read_text())
        d = cls(world, doc["k"], doc["trees"], doc["seed"])
        d.booster = lgb.Booster(model_str=doc["model"]) if "model" in doc else None
        d.columns, d.fitted_on = doc["columns"], doc["fitted_on"]
        d.folds = [lgb.Booster(model_str=m) for m in doc.get("folds", [])]
        d.peers = {k: np.asarray(v) for k, v in doc.get("peers", {}).items()}
        d.fitted_after = doc["info"].get("round")
        return d


__all__ = ["Giveaway", "RealismDiscriminator"]
