"""A World generated in shards: the same economy, simulated a range of accounts at a time.

Every shard rebuilds nothing global: it gets the one population (accounts and their
standing relationships) and simulates the flows that its own accounts drive (their card
purchases, their rent, their employer's salary to them, ...). Counterparties are drawn
from the whole population, so the social graph, suppliers, merchants, money services and
cash desks cross shards and the World stays one economy. Behaviour ``j`` of shard ``k`` of
``n`` draws from seed sequence ``(seed, spawn_key=(j, n, k))``, so a seed and a shard count
fix every byte; the Poisson rates are scaled with the expected periodic count, which every
shard computes alike.
"""

from __future__ import annotations

import pyarrow as pa

from graph_schema.world.behaviours import expected_periodic
from graph_schema.world.calendar import Calendar
from graph_schema.world.config import WorldConfig
from graph_schema.world.core import assemble, poisson_scale, simulate
from graph_schema.world.population import Population


def shard_bounds(n_accounts: int, shards: int) -> list[tuple[int, int]]:
    """Contiguous account ranges ``[lo, hi)``, one per shard, sizes differing by at most one."""
    if shards < 1:
        raise ValueError("shards: must be at least 1")
    edges = [n_accounts * k // shards for k in range(shards + 1)]
    return list(zip(edges[:-1], edges[1:], strict=True))


def generate_shard(cfg: WorldConfig, pop: Population, shard: int, shards: int) -> pa.Table:
    """Ledger rows driven by shard ``shard``'s accounts, sorted by time, ``tx_id`` local."""
    lo, hi = shard_bounds(pop.n, shards)[shard]
    cal = Calendar(cfg.start, cfg.days)
    factor = poisson_scale(cfg, pop, expected_periodic(pop, cal))
    flows = simulate(pop, cal, cfg.seed, lambda j: (j, shards, shard), lambda _periodic: factor, lo, hi,
                     legit=cfg.legit)
    return assemble(pop.currency, pop.bank, flows, cfg.start_epoch)
