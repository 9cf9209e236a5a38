"""Scenario accounts and their matched legitimate controls, as units of the realism tests.

A unit is one account in one scenario's group: a scenario's account (label 1) or a
legitimate account of the same profile drawn as its control (label 0). The realism
discriminator of the loop (`detectors.discriminator`) and the effect analysis's C2ST
(`experiments.effect.realism`) both build their data here, on the behaviour features of
`detectors.realism`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from detectors.realism import account_features, frame

META = ("account", "label", "group", "profile", "control_of", "controls")


def scenario_units(compiled: list, n: int, profiles=None) -> tuple[list[tuple], pd.DataFrame]:
    """The scenarios' accounts as unit rows (label 1, grouped by scenario; profile from
    ``profiles``, None leaves it empty) and their rows as one frame (new accounts of scenario
    ``i`` numbered after those of the scenarios before)."""
    frames, units, offset = [], [], 0
    for gi, c in enumerate(compiled):
        new_profiles = c.new_accounts.column("profile").to_pylist()
        for acc in sorted(set(c.entity_accounts.values())):
            aid = acc if acc >= 0 else n + offset - acc - 1
            prof = None if profiles is None else profiles[acc] if acc >= 0 else new_profiles[-acc - 1]
            units.append((aid, 1, gi, prof, -1, 0))
        f = frame(c.rows, n, offset)
        f["ridden"] = c.ridden
        f["group"] = gi
        frames.append(f)
        offset += len(new_profiles)
    return units, pd.concat(frames, ignore_index=True)


def matched_units(world, base: pd.DataFrame, compiled: list, k: int, rng: np.random.Generator,
                  distinct: bool = False, active_only: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The scenarios' accounts (label 1) and, for each, ``k`` untainted background accounts of
    the same profile active in the period (label 0), grouped by scenario; and the scenarios'
    rows as one frame (`scenario_units`).

    ``distinct``: a background account is a scenario account once, in the first scenario that
    uses it (`distinct_units`); what a test grouped by scenario needs. ``active_only``: see
    `with_controls`.

    Controls are drawn with replacement across scenario accounts (each draw is ``k`` distinct
    accounts), so a small World can match every scenario account however many there are; an
    account drawn more than once is one control row (``control_of`` the first scenario
    account that drew it, in that one's group), so no account sits in two folds of a grouped
    cross-validation. ``controls`` counts the draws of each scenario account."""
    n = world.n_accounts
    profiles = np.asarray(world.accounts.column("profile").to_pylist(), dtype=object)
    tainted = set(base.loc[base["laundering"], "src"]) | set(base.loc[base["laundering"], "dst"])
    tainted |= {a for c in compiled for a in c.entity_accounts.values() if a >= 0}
    units, scen = scenario_units(compiled, n, profiles)
    if distinct:
        units = distinct_units(units, n)
    excluded = np.fromiter(tainted, dtype=np.int64, count=len(tainted))
    return with_controls(units, base, n, profiles, excluded, k, rng, active_only), scen


def distinct_units(units: list[tuple], n: int) -> list[tuple]:
    """``units`` with each background account (id below ``n``) kept once, in its first scenario.

    Scenarios of one World share accounts: a small World has few businesses of a profile, and
    a population recruits many. An account used by two scenarios carries the same background
    history in both, so a discriminator whose folds are grouped by scenario would learn that
    history in one fold and find it again in another. Measured on the evolution bench's finals
    (70 scenarios, 1,299 scenario accounts, 932 distinct): their background alone, without a
    row of the scenarios, was told from matched peers at AUC 0.69 with the repeats, 0.54
    without."""
    seen: set[int] = set()
    out = []
    for unit in units:
        if unit[0] < n:
            if unit[0] in seen:
                continue
            seen.add(unit[0])
        out.append(unit)
    return out


def with_controls(units: list[tuple], base: pd.DataFrame, n: int, profiles: np.ndarray, excluded: np.ndarray,
                  k: int, rng: np.random.Generator, active_only: bool = True) -> pd.DataFrame:
    """``units`` (positive unit rows, `META` order) and, after them, for each, ``k`` distinct
    accounts of its profile that are not ``excluded``, as control rows in its group (see
    `matched_units` for how an account drawn twice is kept once). ``active_only``: only
    accounts active in ``base``; else any background account, as the compiler hijacks one
    (so an account a scenario wakes from a quiet period is compared with peers drawn the same
    way, some of them quiet too)."""
    if active_only:
        pool = np.sort(pd.unique(np.concatenate([base["src"].values, base["dst"].values])))
        pool = pool[pool < n]
    else:
        pool = np.arange(n)
    clean = pool[~np.isin(pool, excluded)]
    by_profile = pd.Series(clean).groupby(profiles[clean]).apply(np.asarray).to_dict()
    units = list(units)
    drawn: set[int] = set()
    for i, (aid, _, gi, prof, _of, _n) in enumerate(list(units)):
        pool = by_profile.get(prof, np.empty(0, dtype=np.int64))
        got = rng.choice(pool, size=min(k, len(pool)), replace=False) if len(pool) else pool
        units[i] = (aid, 1, gi, prof, -1, len(got))
        for a in map(int, got):
            if a not in drawn:
                drawn.add(a)
                units.append((a, 0, gi, prof, i, 0))
    return pd.DataFrame(units, columns=list(META))


def matched_share(units: pd.DataFrame) -> float:
    """Share of the scenario accounts in ``units`` that drew at least one matched control."""
    pos = units["label"] == 1
    return float((units.loc[pos, "controls"] > 0).mean()) if pos.any() else 0.0


def unit_features(base: pd.DataFrame, units: pd.DataFrame, scen: pd.DataFrame, span: float) -> pd.DataFrame:
    """`account_features` of ``units``: each account's background rows in ``base`` plus ``scen``.

    ``base`` is indexed by position in the World's ledger: a background payment a scenario row
    rides (``scen["ridden"]``) is left out, since that row is the same payment, labelled.

    A scenario account counts only its own scenario's rows (``scen["group"]``; `own_rows`):
    scenarios are judged one by one, each as if it alone were injected, as the loop's judge
    and the held-out measurement place them."""
    ids = set(units["account"])
    mine = base[base["src"].isin(ids) | base["dst"].isin(ids)]
    if "ridden" in scen and (scen["ridden"] >= 0).any():
        mine = mine[~mine.index.isin(scen.loc[scen["ridden"] >= 0, "ridden"])]
    return account_features(pd.concat([mine, own_rows(units, scen)], ignore_index=True), units, span)


def own_rows(units: pd.DataFrame, scen: pd.DataFrame) -> pd.DataFrame:
    """``scen`` with each side of a row that belongs to an account of ``units`` whose scenario
    (its ``group``; the first, for an account listed in several) is not the row's replaced by a
    stand-in id (negative, one per account and scenario), so the account's features hold its
    own scenario's rows only. An account that two scenarios use would otherwise carry both
    operations' money and counterparties, as if both were injected at once."""
    if "group" not in scen or scen.empty:
        return scen
    pos = units[units["label"] == 1]
    home = pos.drop_duplicates("account").set_index("account")["group"]
    out = scen.copy()
    groups = int(out["group"].max()) + 1
    for side in ("src", "dst"):
        owner = out[side].map(home)
        foreign = owner.notna() & (owner != out["group"])
        key = out.loc[foreign, side].astype(np.int64) * groups + out.loc[foreign, "group"]
        out.loc[foreign, side] = -1 - key  # negative: never a unit's id
    return out


__all__ = ["META", "distinct_units", "matched_share", "matched_units", "own_rows", "scenario_units",
           "unit_features", "with_controls"]
