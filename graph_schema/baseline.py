"""Inject sampled baseline typology instances into a World up to a laundering share."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from graph_schema.compiler import compile_scenario
from graph_schema.errors import ScenarioError
from graph_schema.typologies import library
from graph_schema.world import World
from graph_schema.world.inject import inject


def inject_baseline(world: World, share: float, seed: int,
                    names: list[str] | None = None,
                    progress: Callable[[int, int], None] | None = None) -> World:
    """Add typology instances until about ``share`` of all transactions are laundering.

    Templates are taken in shuffled rounds, so every typology is represented; a sampled
    variant that does not fit this World (a ScenarioError) is redrawn. Deterministic per seed.

    Raises:
        ValueError: no template compiles in this World.
    """
    return inject(world, sample_baseline(world, world.ledger.num_rows, share, seed, names, progress))


def sample_baseline(world: World, n_bg: int, share: float, seed: int,
                    names: list[str] | None = None,
                    progress: Callable[[int, int], None] | None = None) -> list:
    """The compiled typology instances `inject_baseline` adds to a World of ``n_bg``
    background transactions. Compiling reads only ``world``'s banks and accounts, so a
    World whose ledger stays on disk works too."""
    lib = library()
    names = sorted(names or lib)
    target = int(round(share * n_bg / (1.0 - share))) if share > 0 else 0
    rng = np.random.default_rng([seed, 0xBA5E])
    compiled, rows, failures, k = [], 0, 0, 0
    order: list[str] = []
    while rows < target:
        if not order:
            order = [names[i] for i in rng.permutation(len(names))]
        name = order.pop()
        try:
            c = compile_scenario(lib[name].sample(rng), world, seed=seed * 1_000_003 + k)
        except ScenarioError:
            failures += 1
            if failures > 50 + 2 * len(compiled):
                raise ValueError("typology templates keep failing to compile in this World "
                                 "(is it too short, or missing jurisdictions?)") from None
            continue
        k += 1
        compiled.append(c)
        rows += c.rows.num_rows
        if progress:
            progress(min(rows, target), target)
    return compiled
