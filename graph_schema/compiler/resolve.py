"""Map scenario entities to accounts: new accounts, hijacked background accounts, cash desks."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from graph_schema.compiler.partners import ride_order, ride_partner
from graph_schema.dsl import Scenario, Transfer
from graph_schema.enums import Channel, EntityKind, Profile
from graph_schema.errors import ScenarioError
from graph_schema.reference import BITCOIN
from graph_schema.tables import CURRENCIES


@dataclass
class Resolved:
    """Account of each entity. New accounts get negative local ids (-1, -2, ...)."""

    account: dict[str, int]
    bank: dict[str, int]
    currency: dict[str, int]  # code into CURRENCIES
    new: list[tuple[int, str, int]]  # (local id, entity id, bank) of accounts to open


def resolve_entities(s: Scenario, world, rng: np.random.Generator) -> Resolved:
    """Pick a bank and an account for every entity, deterministically for ``rng``.

    Raises:
        ScenarioError: no bank in the jurisdiction, a bank of another jurisdiction, or a
            hijack profile the World does not have (or has too few accounts of).
    """
    out = Resolved({}, {}, {}, [])
    taken: set[int] = set()
    n_banks = world.banks.num_rows
    rides = [t for t in s.transfers if t.ride]
    for i in ride_order(s, rides):
        e = s.entities[i]
        p = f"entities[{i}]"
        banks = world.banks_in(e.jurisdiction)
        if e.bank is not None:
            if e.bank >= n_banks:
                raise ScenarioError(f"{p}.bank", f"bank {e.bank} does not exist; this World has "
                                    f"banks 0-{n_banks - 1}")
            if world.bank_jurisdiction[e.bank] != e.jurisdiction:
                raise ScenarioError(f"{p}.bank", f"bank {e.bank} is in {world.bank_jurisdiction[e.bank]}"
                                    f", not in the entity's jurisdiction {e.jurisdiction}")
            banks = [e.bank]
        if not banks:
            have = ", ".join(sorted(set(world.bank_jurisdiction)))
            raise ScenarioError(f"{p}.jurisdiction", f"this World has no bank in '{e.jurisdiction}' "
                                f"(it has banks in: {have})")
        if e.kind is EntityKind.CASH:
            bank = banks[int(rng.integers(len(banks)))]
            acc = world.cash_desks.get(bank)
            if acc is None:
                raise ScenarioError(f"{p}.kind", f"bank {bank} has no cash desk in this World")
        elif e.recruit.mode == "hijack":
            acc = ride_partner(world, e, rides, out.account, banks, taken, rng) if rides else -1
            if acc < 0:  # no ride, or no account fits: any account of the profile
                acc = _hijack(world, e.recruit.profile, banks, taken, s.uid, e.id, rng, p)
            bank = int(world.account_bank[acc])
        else:
            bank = banks[int(rng.integers(len(banks)))]
            acc = -(len(out.new) + 1)
            out.new.append((acc, e.id, bank))
        out.account[e.id] = int(acc)
        out.bank[e.id] = int(bank)
        out.currency[e.id] = int(world.bank_currency[bank])
        if acc >= 0:
            taken.add(int(acc))
    return out


def _hijack(world, profile: Profile, banks: list[int], taken: set[int], uid: str, eid: str,
            rng: np.random.Generator, p: str) -> int:
    pool = world.accounts_of(profile)
    if len(pool) == 0:
        have = ", ".join(world.profiles_present())
        raise ScenarioError(f"{p}.recruit.profile", f"this World has no background account of "
                            f"profile '{profile.value}' to hijack (profiles present: {have})")
    local = world.accounts_of(profile, banks)
    if len(local) and len(np.setdiff1d(local, list(taken))):
        pool = local  # else (none there, or all taken by the scenario's other entities) any bank's
    if len(pool) <= len(taken) and not len(np.setdiff1d(pool, list(taken))):
        raise ScenarioError(f"{p}.recruit.profile", f"not enough background accounts of profile "
                            f"'{profile.value}' for every hijacked entity")
    # Deterministic per (scenario, entity, seed): a hash picks the start, rng the offset;
    # accounts already taken by another entity of the scenario are stepped over.
    h = int(hashlib.sha256(f"{uid}/{eid}".encode()).hexdigest()[:12], 16)
    i = (h + int(rng.integers(len(pool)))) % len(pool)
    while int(pool[i]) in taken:
        i = (i + 1) % len(pool)
    return int(pool[i])


def paid_in(t: Transfer, res: Resolved) -> int:
    """The currency (code into CURRENCIES) a payment of ``t`` is made in: Bitcoin on the
    'Bitcoin' channel, else ``t.currency`` when set, else its payer's account's."""
    if t.channel is Channel.BITCOIN:
        return BITCOIN
    return CURRENCIES.index(t.currency.value) if t.currency else res.currency[t.src]


def new_account_numbers(uid: str, seed: int, eids: list[str]) -> list[str]:
    """AMLworld-style hex numbers for new accounts; the 'A' prefix keeps them apart from
    background accounts (which start with '8')."""
    return [f"A{hashlib.sha256(f'{uid}/{seed}/{e}'.encode()).hexdigest()[:8].upper()}" for e in eids]
