"""The World: a background economy (banks, accounts, ledger) plus what was injected into it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pyarrow as pa

from graph_schema.enums import Profile
from graph_schema.reference import BITCOIN, convert, round_money
from graph_schema.tables import CHANNELS, CURRENCIES, PROFILES, dictionary_codes, ledger_table
from graph_schema.world import behaviours
from graph_schema.world.behaviours import Ctx, concat
from graph_schema.world.calendar import Calendar
from graph_schema.world.config import LegitMix, WorldConfig
from graph_schema.world.history import PaymentHistory
from graph_schema.world.legit import LEGIT, opened_after
from graph_schema.world.payments import Payments
from graph_schema.world.population import Population, accounts_table, build_population

Progress = Callable[[str], None]


@dataclass
class World:
    """Banks, accounts and a time-sorted ledger; ``scenarios`` lists what was injected.

    Account ids are dense row indices of ``accounts``. ``ledger`` rows are sorted by time
    and ``tx_id`` equals the row index.
    """

    config: WorldConfig
    banks: pa.Table
    accounts: pa.Table
    ledger: pa.Table
    scenarios: list = field(default_factory=list)  # InjectedScenario records
    _pool_cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def start_epoch(self) -> int:
        return self.config.start_epoch

    @property
    def end_epoch(self) -> int:
        return self.config.end_epoch

    @property
    def n_accounts(self) -> int:
        return self.accounts.num_rows

    @cached_property
    def profile_codes(self) -> np.ndarray:
        return dictionary_codes(self.accounts.column("profile"), PROFILES)

    @cached_property
    def account_bank(self) -> np.ndarray:
        return self.accounts.column("bank_id").to_numpy()

    @cached_property
    def bank_jurisdiction(self) -> list[str]:
        return self.banks.column("jurisdiction").to_pylist()

    @cached_property
    def bank_currency(self) -> np.ndarray:
        return np.array([CURRENCIES.index(c) for c in self.banks.column("currency").to_pylist()])

    @cached_property
    def cash_desks(self) -> dict[int, int]:
        """Bank id -> account id of its cash desk."""
        desks = np.flatnonzero(self.profile_codes == PROFILES.index(Profile.CASH_DESK.value))
        return {int(self.account_bank[a]): int(a) for a in desks}

    @cached_property
    def _by_profile(self) -> dict[int, np.ndarray]:
        order = np.argsort(self.profile_codes, kind="stable")
        bounds = np.searchsorted(self.profile_codes[order], np.arange(len(PROFILES) + 1))
        return {p: order[bounds[p]:bounds[p + 1]] for p in range(len(PROFILES))}

    def accounts_of(self, profile: Profile, banks: list[int] | None = None) -> np.ndarray:
        """Ids of background accounts with this profile, optionally only at these banks."""
        pool = self._by_profile[PROFILES.index(profile.value)]
        if banks is None:
            return pool
        key = (profile, tuple(sorted(banks)))
        if key not in self._pool_cache:
            self._pool_cache[key] = pool[np.isin(self.account_bank[pool], banks)]
        return self._pool_cache[key]

    @cached_property
    def history(self) -> PaymentHistory:
        """Legitimate payment amounts by payer and profile (what `mimic` amounts follow)."""
        return PaymentHistory(self.ledger, self.profile_codes)

    @cached_property
    def payments(self) -> Payments:
        """Background payments by payer, payee and channel (what `ride` transfers ride)."""
        return Payments(self.ledger, self.n_accounts)

    @cached_property
    def calendar(self) -> Calendar:
        return Calendar(self.config.start, self.config.days)

    def profiles_present(self) -> list[str]:
        return [PROFILES[c] for c in np.unique(self.profile_codes)]

    def banks_in(self, jurisdiction: str) -> list[int]:
        return [b for b, j in enumerate(self.bank_jurisdiction) if j == jurisdiction]


def generate_world(cfg: WorldConfig, progress: Progress | None = None) -> World:
    """Generate a background World, deterministic per ``cfg.seed``.

    Every behaviour draws from its own child seed, so adding one never shifts another.
    """
    step = progress or (lambda _msg: None)
    step("population")
    pop = population(cfg)

    def scale(periodic: list) -> float:
        return poisson_scale(cfg, pop, sum(len(p.src) for p in periodic))

    flows = simulate(pop, Calendar(cfg.start, cfg.days), cfg.seed, lambda j: (j,), scale, step=step,
                     legit=cfg.legit)
    step("ledger")
    ledger = assemble(pop.currency, pop.bank, flows, cfg.start_epoch)
    step("accounts")
    return World(cfg, pop.banks, accounts_table(pop), ledger)


def population(cfg: WorldConfig) -> Population:
    """The World's accounts and standing relationships, drawn from child seed 0 of ``cfg.seed``."""
    return build_population(cfg, np.random.default_rng(np.random.SeedSequence(cfg.seed, spawn_key=(0,))))


def poisson_scale(cfg: WorldConfig, pop: Population, periodic: int) -> float:
    """Factor on the Poisson rates that brings the World to its transactions-per-day target."""
    target = cfg.accounts * cfg.days * cfg.tx_per_account_day
    return max(0.05, (target - periodic) / max(behaviours.expected_poisson(pop, cfg.days), 1.0))


def simulate(pop: Population, cal: Calendar, seed: int, spawn_key: Callable[[int], tuple[int, ...]],
             scale: Callable[[list], float], lo: int = 0, hi: int | None = None,
             step: Progress | None = None, legit: LegitMix | None = None) -> behaviours.Flows:
    """Every behaviour's flows driven by accounts ``lo:hi``, then the legitimate typologies
    (`legit.LEGIT`, at the rates of ``legit``); flows of an account before its opening day
    are dropped.

    Behaviour ``j`` (periodic ones from 2; the population is 0) draws from the seed
    sequence of ``seed`` with ``spawn_key(j)``; ``scale`` gets the periodic flows and returns the
    factor on the Poisson rates (the legitimate typologies are not scaled).
    """
    mix = legit if legit is not None else LegitMix()
    step = step or (lambda _msg: None)

    def rng(j: int) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=spawn_key(j)))

    parts = []
    for i, (name, fn) in enumerate(behaviours.PERIODIC.items()):
        step(name)
        parts.append(fn(Ctx(rng(2 + i), pop, cal, 1.0, lo, hi)))
    factor = scale(parts)
    base = 2 + len(behaviours.PERIODIC)
    for i, (name, fn) in enumerate(behaviours.POISSON.items()):
        step(name)
        parts.append(fn(Ctx(rng(base + i), pop, cal, factor, lo, hi)))
    base += len(behaviours.POISSON)
    for i, (name, fn) in enumerate(LEGIT.items()):
        step(name)
        parts.append(fn(Ctx(rng(base + i), pop, cal, 1.0, lo, hi, mix)))
    flows = concat(parts)
    opened = opened_after(Ctx(rng(0), pop, cal, 1.0, lo, hi, mix), seed) * 86_400
    live = (flows.t >= opened[flows.src]) & (flows.t >= opened[flows.dst])
    return behaviours.Flows(*(getattr(flows, k)[live] for k in ("src", "dst", "t", "amount", "channel")))


def legit_flows(cfg: WorldConfig) -> dict[str, behaviours.Flows]:
    """The flows of each legitimate typology (`legit.LEGIT`) in the ledger of
    ``generate_world(cfg)``: drawn again from the same child seeds, less those before an
    account's opening day, as `simulate` does. A reference for realism: which accounts do
    the World's own structured legitimate activity (`legit_participants`). A World generated
    in one piece only: a sharded World (`shards`) draws each shard from other child seeds."""
    pop, cal = population(cfg), Calendar(cfg.start, cfg.days)

    def rng(j: int) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence(cfg.seed, spawn_key=(j,)))

    opened = opened_after(Ctx(rng(0), pop, cal, 1.0, 0, None, cfg.legit), cfg.seed) * 86_400
    base = 2 + len(behaviours.PERIODIC) + len(behaviours.POISSON)  # LEGIT's child seeds in `simulate`
    out = {}
    for i, (name, fn) in enumerate(LEGIT.items()):
        f = fn(Ctx(rng(base + i), pop, cal, 1.0, 0, None, cfg.legit))
        live = (f.t >= opened[f.src]) & (f.t >= opened[f.dst])
        out[name] = behaviours.Flows(*(getattr(f, k)[live] for k in ("src", "dst", "t", "amount", "channel")))
    return out


def legit_participants(cfg: WorldConfig) -> dict[str, np.ndarray]:
    """The accounts that take part in each legitimate typology of ``generate_world(cfg)``."""
    return {name: np.unique(np.concatenate([f.src, f.dst])).astype(np.int64)
            for name, f in legit_flows(cfg).items()}


def second_world(cfg: WorldConfig, offset: int = 1) -> World:
    """Another World of the same config with seed ``cfg.seed + offset``: its banks and
    accounts, with an empty ledger.

    What a scenario compiles to depends only on banks, accounts and the period, so this
    is all a robustness check needs; the behaviours are not simulated.
    """
    other = cfg.model_copy(update={"seed": cfg.seed + offset})
    pop = population(other)
    empty = {name: np.zeros(0, dtype=dt) for name, dt in _LEDGER_DTYPES.items()}
    return World(other, pop.banks, accounts_table(pop), ledger_table(empty))


_LEDGER_DTYPES = {"tx_id": np.int64, "timestamp": np.int64, "src_account": np.int64, "src_bank": np.int32,
                  "dst_account": np.int64, "dst_bank": np.int32, "amount_paid": np.float64,
                  "payment_currency": np.int64, "amount_received": np.float64, "receiving_currency": np.int64,
                  "channel": np.int8, "is_laundering": bool}


def assemble(currency: np.ndarray, bank: np.ndarray, f, start_epoch: int) -> pa.Table:
    order = np.argsort(f.t, kind="stable")
    src, dst, ch = f.src[order], f.dst[order], f.channel[order]
    btc = ch == CHANNELS.index("Bitcoin")
    pc = np.where(btc, BITCOIN, currency[src])
    rc = np.where(btc, BITCOIN, currency[dst])
    floor = np.where(pc == BITCOIN, 1e-6, 0.01)
    paid = np.maximum(round_money(f.amount[order], pc), floor)
    received = np.maximum(round_money(convert(paid, pc, rc), rc), np.where(rc == BITCOIN, 1e-6, 0.01))
    return ledger_table(
        {
            "tx_id": np.arange(len(src), dtype=np.int64),
            "timestamp": start_epoch + f.t[order],
            "src_account": src,
            "src_bank": bank[src],
            "dst_account": dst,
            "dst_bank": bank[dst],
            "amount_paid": paid,
            "payment_currency": pc,
            "amount_received": received,
            "receiving_currency": rc,
            "channel": ch,
            "is_laundering": np.zeros(len(src), dtype=bool),
        }
    )
