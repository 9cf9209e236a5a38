"""Banks, accounts and the standing relationships between them (all vectorised).

Relationships (employer, landlord, utility, pension payer, friends, suppliers) are fixed
for the period, so that flows repeat along the same edges as real ledgers do; preferential
weights give heavy-tailed degrees.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph_schema.enums import EntityKind, Profile
from graph_schema.reference import jurisdictions
from graph_schema.tables import (
    ACCOUNT_SCHEMA,
    BANK_SCHEMA,
    CURRENCIES,
    KINDS,
    PROFILES,
    codes_to_dictionary,
)
from graph_schema.world.config import WorldConfig

P = {p: i for i, p in enumerate(Profile)}
PERSON_PROFILES = [Profile.STUDENT, Profile.SALARIED, Profile.RETIREE, Profile.SELF_EMPLOYED]
# Business-to-business purchases: Poisson rate per account-day by profile, and the factor
# on a large business's invoice amounts (`behaviours.b2b`).
B2B_RATES = {Profile.SELF_EMPLOYED: 0.25, Profile.SMALL_BUSINESS: 1.2, Profile.LARGE_BUSINESS: 6.0,
             Profile.MERCHANT: 1.5}
LARGE_B2B_SIZE = 4.0
_KIND_OF = {
    Profile.STUDENT: EntityKind.PERSON,
    Profile.SALARIED: EntityKind.PERSON,
    Profile.RETIREE: EntityKind.PERSON,
    Profile.SELF_EMPLOYED: EntityKind.PERSON,
    Profile.SMALL_BUSINESS: EntityKind.BUSINESS,
    Profile.LARGE_BUSINESS: EntityKind.BUSINESS,
    Profile.MERCHANT: EntityKind.BUSINESS,
    Profile.MONEY_SERVICE: EntityKind.MONEY_SERVICE,
    Profile.CRYPTO_EXCHANGE: EntityKind.CRYPTO_EXCHANGE,
    Profile.CASH_DESK: EntityKind.CASH,
    Profile.UNKNOWN: EntityKind.PERSON,
}
_NAME_OF = {
    Profile.STUDENT: "Individual",
    Profile.SALARIED: "Individual",
    Profile.RETIREE: "Individual",
    Profile.SELF_EMPLOYED: "Sole Proprietorship",
    Profile.SMALL_BUSINESS: "Partnership",
    Profile.LARGE_BUSINESS: "Corporation",
    Profile.MERCHANT: "Corporation",
    Profile.MONEY_SERVICE: "Money Service",
    Profile.CRYPTO_EXCHANGE: "Exchange",
    Profile.CASH_DESK: "Cash Desk",
    Profile.UNKNOWN: "Entity",
}


@dataclass
class Population:
    """Accounts as parallel numpy arrays, plus the relationship arrays behaviours use."""

    banks: pa.Table
    bank_jur: np.ndarray  # int16, index into jurisdictions()
    bank_currency: np.ndarray  # int16, index into CURRENCIES
    profile: np.ndarray  # int8, index into PROFILES
    bank: np.ndarray  # int32
    jur: np.ndarray  # int16
    currency: np.ndarray  # int16
    activity: np.ndarray  # float64, mean about 1
    level: np.ndarray  # float64, income/size level multiplier for amounts
    cash_desk: np.ndarray  # account id of each bank's cash desk
    rel: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.profile)

    def of(self, *profiles: Profile) -> np.ndarray:
        """Ids of accounts with any of these profiles."""
        return np.flatnonzero(np.isin(self.profile, [P[p] for p in profiles]))


def _banks(cfg: WorldConfig, rng: np.random.Generator):
    jurs = jurisdictions()
    n_j = len(jurs)
    weights = np.array([j.weight for j in jurs])
    # One bank per jurisdiction first (largest first, so 5 banks already give 5 currencies),
    # the rest drawn by jurisdiction weight.
    first = np.arange(min(cfg.banks, n_j))
    rest = rng.choice(n_j, size=max(0, cfg.banks - n_j), p=weights / weights.sum())
    bank_jur = np.concatenate([first, rest]).astype(np.int16)
    bank_currency = np.array([CURRENCIES.index(jurs[j].currency) for j in bank_jur], dtype=np.int16)
    names = [f"{jurs[j].code} Bank #{b:03d}" for b, j in enumerate(bank_jur)]
    table = pa.Table.from_arrays(
        [
            pa.array(np.arange(cfg.banks, dtype=np.int32)),
            pa.array(names),
            pa.array([jurs[j].code for j in bank_jur]),
            pa.array([CURRENCIES[c] for c in bank_currency]),
        ],
        schema=BANK_SCHEMA,
    )
    # Bank size: jurisdiction weight shared among its banks with Zipf-like market shares.
    size = np.zeros(cfg.banks)
    for j in np.unique(bank_jur):
        idx = np.flatnonzero(bank_jur == j)
        share = 1.0 / np.arange(1, len(idx) + 1) ** 0.9
        size[idx] = weights[j] * share / share.sum()
    return table, bank_jur, bank_currency, size / size.sum()


def build_population(cfg: WorldConfig, rng: np.random.Generator) -> Population:
    """Draw banks and accounts, then the standing relationships between accounts."""
    banks, bank_jur, bank_currency, bank_size = _banks(cfg, rng)
    mix_profiles = list(cfg.profile_mix)
    mix = np.array([cfg.profile_mix[p] for p in mix_profiles], dtype=np.float64)
    n = cfg.accounts
    prof = np.array([P[p] for p in mix_profiles], dtype=np.int8)[
        rng.choice(len(mix_profiles), size=n, p=mix / mix.sum())
    ]
    bank = rng.choice(cfg.banks, size=n, p=bank_size).astype(np.int32)
    # Infrastructure accounts: one cash desk per bank and a few crypto exchanges.
    n_ex = max(2, n // 50_000)
    ex_bank = rng.choice(cfg.banks, size=n_ex, p=bank_size).astype(np.int32)
    profile = np.concatenate([prof, np.full(cfg.banks, P[Profile.CASH_DESK], np.int8),
                              np.full(n_ex, P[Profile.CRYPTO_EXCHANGE], np.int8)])
    bank = np.concatenate([bank, np.arange(cfg.banks, dtype=np.int32), ex_bank])
    total = len(profile)
    is_person = np.isin(profile, [P[p] for p in PERSON_PROFILES])
    activity = np.where(is_person, rng.lognormal(-0.245, 0.7, total), rng.lognormal(-0.5, 1.0, total))
    level = np.where(is_person, rng.lognormal(0.0, 0.45, total), rng.lognormal(0.0, 0.9, total))
    pop = Population(
        banks=banks,
        bank_jur=bank_jur,
        bank_currency=bank_currency,
        profile=profile,
        bank=bank,
        jur=bank_jur[bank],
        currency=bank_currency[bank],
        activity=activity,
        level=level,
        cash_desk=np.arange(n, n + cfg.banks, dtype=np.int64),
    )
    _relationships(pop, rng)
    return pop


def pick_targets(rng: np.random.Generator, pop: Population, src: np.ndarray,
                 candidates: np.ndarray, weights: np.ndarray, p_foreign: float) -> np.ndarray:
    """For each source, one candidate drawn by weight, domestic with prob. 1 - p_foreign.

    Sources whose jurisdiction has no candidate draw from all candidates.
    """
    out = np.empty(len(src), dtype=np.int64)
    if len(src) == 0:
        return out
    if len(candidates) == 0:
        raise ValueError("no candidate accounts to pick from")
    cw = np.cumsum(weights, dtype=np.float64)
    foreign = rng.random(len(src)) < p_foreign
    cand_jur = pop.jur[candidates]
    src_jur = pop.jur[src]
    for j in np.unique(src_jur):
        sel = np.flatnonzero((src_jur == j) & ~foreign)
        if not len(sel):
            continue
        local = np.flatnonzero(cand_jur == j)
        if not len(local):
            foreign[sel] = True
            continue
        lw = np.cumsum(weights[local], dtype=np.float64)
        out[sel] = candidates[local[np.searchsorted(lw, rng.random(len(sel)) * lw[-1], side="right")
                                    .clip(max=len(local) - 1)]]
    sel = np.flatnonzero(foreign)
    out[sel] = candidates[np.searchsorted(cw, rng.random(len(sel)) * cw[-1], side="right")
                          .clip(max=len(candidates) - 1)]
    return out


def _lists(rng, pop, owners, sizes, candidates, weights, p_foreign):
    """CSR lists: for each owner, ``sizes`` targets picked by ``pick_targets``."""
    indptr = np.zeros(pop.n + 1, dtype=np.int64)
    counts = np.zeros(pop.n, dtype=np.int64)
    counts[owners] = sizes
    np.cumsum(counts, out=indptr[1:])
    src = np.repeat(np.arange(pop.n), counts)
    targets = pick_targets(rng, pop, src, candidates, weights, p_foreign)
    clash = targets == src
    targets[clash] = candidates[rng.integers(0, len(candidates), clash.sum())]
    return indptr, targets


def purchases(pop: Population, firms: np.ndarray) -> np.ndarray:
    """Expected number of business-to-business purchases of each firm, up to a common factor.

    A firm's sales are drawn in proportion (its weight as a supplier, with heavy-tailed
    noise), and an invoice's amount scales with both parties' sizes (`invoice_size`), so
    what a business receives from its clients tracks what it pays its own suppliers, and a
    legitimate business passes money through as a front does.
    """
    return by_profile(B2B_RATES)[pop.profile[firms]] * pop.activity[firms]


def by_profile(rates: dict[Profile, float]) -> np.ndarray:
    """``rates`` as an array indexed by profile code (0 for a profile it does not name)."""
    out = np.zeros(len(Profile))
    for prof, r in rates.items():
        out[P[prof]] = r
    return out


def invoice_size(pop: Population, firms: np.ndarray) -> np.ndarray:
    """How a firm's size scales the invoices it pays or is paid (the geometric mean of both)."""
    big = np.where(pop.profile[firms] == P[Profile.LARGE_BUSINESS], LARGE_B2B_SIZE, 1.0)
    return big * pop.level[firms] ** 0.7


def _relationships(pop: Population, rng: np.random.Generator) -> None:
    persons = pop.of(*PERSON_PROFILES)
    employers = pop.of(Profile.SMALL_BUSINESS, Profile.LARGE_BUSINESS, Profile.MERCHANT)
    large = pop.of(Profile.LARGE_BUSINESS)
    if len(large) == 0:
        large = employers
    emp_w = np.where(pop.profile[employers] == P[Profile.LARGE_BUSINESS], 40.0, 3.0)
    emp_w *= pop.level[employers]
    rel = pop.rel
    workers = np.concatenate([pop.of(Profile.SALARIED),
                              rng.permutation(pop.of(Profile.STUDENT))[: len(pop.of(Profile.STUDENT)) // 4]])
    rel["worker"] = workers
    rel["employer"] = pick_targets(rng, pop, workers, employers, emp_w, 0.02)
    # Payday per employer: 1st, 15th, 25th or 28th of the month.
    rel["payday"] = rng.choice(np.array([1, 15, 25, 28]), size=pop.n)
    rel["salary"] = rng.lognormal(np.log(3200.0), 0.45, pop.n) * pop.level
    renters = persons[rng.random(len(persons)) < np.where(
        pop.profile[persons] == P[Profile.RETIREE], 0.25, 0.55)]
    landlords = pop.of(Profile.SELF_EMPLOYED, Profile.SMALL_BUSINESS)
    rel["renter"] = renters
    rel["landlord"] = pick_targets(rng, pop, renters, landlords, rng.pareto(1.5, len(landlords)) + 1, 0.0)
    rel["rent"] = np.round(rng.lognormal(np.log(1400.0), 0.35, pop.n) * pop.level ** 0.5, -1)
    # Utilities: the biggest tenth of large businesses serve everybody (huge in-degree).
    n_util = max(1, len(large) // 10)
    utilities = large[np.argsort(-pop.level[large])[:n_util]]
    payers = np.concatenate([persons, employers])
    rel["utility_payer"] = payers
    rel["utility"] = pick_targets(rng, pop, payers, utilities, np.ones(n_util), 0.0)
    retirees = pop.of(Profile.RETIREE)
    pension_payers = large[: max(1, len(large) // 20)]
    rel["retiree"] = retirees
    rel["pension_payer"] = pick_targets(rng, pop, retirees, pension_payers, np.ones(len(pension_payers)), 0.0)
    # Social graph among persons: log-normal degrees, mostly domestic.
    deg = np.clip(rng.lognormal(1.6, 0.6, len(persons)).astype(np.int64), 1, 60)
    rel["friends_indptr"], rel["friends"] = _lists(
        rng, pop, persons, deg, persons, pop.activity[persons], 0.05)
    # Supplier lists: heavy-tailed out-degree, preferential (Pareto) in-degree.
    firms = pop.of(Profile.SELF_EMPLOYED, Profile.SMALL_BUSINESS, Profile.LARGE_BUSINESS,
                   Profile.MERCHANT)
    k = np.clip((rng.pareto(1.3, len(firms)) + 1) * 2, 1, 300).astype(np.int64)
    k = np.where(pop.profile[firms] == P[Profile.LARGE_BUSINESS], k * 4, k)
    rel["suppliers_indptr"], rel["suppliers"] = _lists(
        rng, pop, firms, k, firms, purchases(pop, firms) * (rng.pareto(1.1, len(firms)) + 0.05) ** 0.25, 0.15)
    merchants = pop.of(Profile.MERCHANT)
    if len(merchants) == 0:
        merchants = employers
    rel["merchants"] = merchants
    rank = rng.permutation(len(merchants)) + 1
    rel["merchant_w"] = rank ** -1.05 * rng.lognormal(0, 0.5, len(merchants))
    rel["remitters"] = persons[rng.random(len(persons)) < 0.06]
    rel["crypto_users"] = persons[rng.random(len(persons)) < 0.03]


def accounts_table(pop: Population) -> pa.Table:
    """The account table: synthetic AMLworld-style hex numbers and entity names."""
    ids = np.arange(pop.n, dtype=np.int64)
    # Multiplication by an odd constant is a bijection mod 2^32: unique, scrambled numbers.
    acc = (ids * 2654435761) % (1 << 32) + 0x800000000
    ent = (ids * 2246822519 + 374761393) % (1 << 32) + 0x800000000
    prof_list = list(Profile)
    # Names: "<kind of entity> #<id>", and "<bank name> Cash Desk" for the cash desks.
    names = pa.array([f"{_NAME_OF[p]} #" for p in prof_list])
    prefix = pc.take(names, pa.array(pop.profile.astype(np.int64)))
    names = pc.binary_join_element_wise(prefix, pc.cast(pa.array(ids), pa.string()), "")
    desk = pop.profile == P[Profile.CASH_DESK]
    if desk.any():
        desk_names = pc.binary_join_element_wise(
            pc.take(pop.banks.column("bank_name"), pa.array(pop.bank[desk].astype(np.int64))),
            " Cash Desk",
            "",
        )
        names = pc.replace_with_mask(names, pa.array(desk), desk_names.combine_chunks())
    kind = np.array([KINDS.index(_KIND_OF[p].value) for p in prof_list], dtype=np.int32)[pop.profile]
    jur_codes = [j.code for j in jurisdictions()]
    return pa.Table.from_arrays(
        [
            pa.array(ids),
            pa.array(pop.bank, type=pa.int32()),
            hex9(acc),
            hex9(ent),
            names,
            codes_to_dictionary(pop.profile, PROFILES),
            codes_to_dictionary(kind, KINDS),
            codes_to_dictionary(pop.jur, jur_codes),
            codes_to_dictionary(pop.currency, CURRENCIES),
        ],
        schema=ACCOUNT_SCHEMA,
    )


def hex9(x: np.ndarray) -> pa.Array:
    """Nine upper-case hex digits per value (``f"{x:09X}"`` for values below 16**9), vectorised."""
    shifts = np.arange(32, -1, -4, dtype=np.int64)
    digits = (np.asarray(x, dtype=np.int64)[:, None] >> shifts) & 0xF
    chars = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)[digits]
    data = pa.py_buffer(np.ascontiguousarray(chars).tobytes())
    offsets = pa.py_buffer((np.arange(len(x) + 1, dtype=np.int32) * 9).tobytes())
    return pa.Array.from_buffers(pa.string(), len(x), [None, offsets, data])
