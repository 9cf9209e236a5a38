"""Accounts for the entities of `ride` transfers: a ride is carried by payments its payer
already makes to its payee, so the two accounts must already pay each other. The entity with
the most rides is resolved first, to an account with enough counterparties; every other one
among the counterparties of those it rides with that are already resolved."""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

from graph_schema.dsl import Entity, Scenario, Transfer
from graph_schema.enums import Profile
from graph_schema.tables import CHANNELS, PROFILES


def ride_order(s: Scenario, rides: list[Transfer]) -> list[int]:
    """Entities in their order without rides; with rides, the one with the most rides first
    and then always, while there is one, an entity that rides with one already resolved."""
    if not rides:
        return list(range(len(s.entities)))
    links: dict[str, set[str]] = defaultdict(set)
    for t in rides:
        links[t.src].add(t.dst)
        links[t.dst].add(t.src)
    pending, done, out = list(range(len(s.entities))), set(), []
    while pending:
        linked = [i for i in pending if links[s.entities[i].id] & done]
        i = linked[0] if linked else max(pending, key=lambda j: (len(links[s.entities[j].id]), -j))
        pending.remove(i)
        done.add(s.entities[i].id)
        out.append(i)
    return out


def ride_partner(world, e: Entity, rides: list[Transfer], account: dict[str, int], banks: list[int],
                 taken: set[int], rng: np.random.Generator) -> int:
    """An account for hijacked entity ``e`` that pays (and is paid by) the accounts of the
    entities it rides with that are resolved, as many as one account can; a hub account with
    enough counterparties when none is resolved yet; -1 if ``e`` rides with no one, or no
    account fits (it is then resolved as any hijacked entity)."""
    pay = world.payments
    found: list[tuple[np.ndarray, np.ndarray]] = []
    for t in rides:
        ch = CHANNELS.index(t.channel.value)
        if t.dst == e.id and t.src in account:
            found.append(pay.payees(account[t.src], ch))
        elif t.src == e.id and t.dst in account:
            found.append(pay.payers(account[t.dst], ch))
    if not found:
        return _hub(world, e, rides, banks, taken, rng)
    weight: Counter = Counter()
    hits: Counter = Counter()
    for ids, counts in found:
        for a, c in zip(ids.tolist(), counts.tolist(), strict=True):
            weight[a] += c
            hits[a] += 1
    if not hits:
        return -1
    best = max(hits.values())
    ids = np.array([a for a in hits if hits[a] == best and a not in taken], dtype=np.int64)
    if not len(ids):
        return -1
    w = np.array([weight[a] for a in ids.tolist()], dtype=np.float64)
    pick = _preferred(world, ids, e.recruit.profile, banks)
    ids, w = ids[pick], w[pick]
    return int(ids[int(rng.choice(len(ids), p=w / w.sum()))])


def _hub(world, e: Entity, rides: list[Transfer], banks: list[int], taken: set[int],
         rng: np.random.Generator) -> int:
    mine = [t for t in rides if e.id in (t.src, t.dst)]
    if not mine:
        return -1
    ch = Counter(CHANNELS.index(t.channel.value) for t in mine).most_common(1)[0][0]
    paid = sum(t.dst == e.id for t in mine)  # rides it is paid by, against rides it pays
    side = paid >= len(mine) - paid
    need = max(paid, len(mine) - paid)
    pool = world.accounts_of(e.recruit.profile, banks)
    if not len(pool):
        pool = world.accounts_of(e.recruit.profile)
    pool = pool[~np.isin(pool, list(taken))]
    if not len(pool):
        return -1
    deg = world.payments.degree(ch, side)[pool]
    good = pool[deg >= need] if (deg >= need).any() else pool[deg == deg.max()]
    return int(good[int(rng.integers(len(good)))]) if deg.max() > 0 else -1


def _preferred(world, ids: np.ndarray, profile: Profile, banks: list[int]) -> np.ndarray:
    """Of ``profile`` at ``banks`` if any, else of ``profile`` anywhere, else all."""
    mine = world.profile_codes[ids] == PROFILES.index(profile.value)
    local = mine & np.isin(world.account_bank[ids], banks)
    return local if local.any() else mine if mine.any() else np.ones(len(ids), bool)


__all__ = ["ride_order", "ride_partner"]
