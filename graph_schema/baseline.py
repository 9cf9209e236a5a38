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
    target = baseline_rows(world.ledger.num_rows, share)
    return inject(world, sample_baseline(world, target, seed, names, progress))


def baseline_rows(n_bg: int, share: float) -> int:
    """Laundering rows that make ``share`` of a World of ``n_bg`` background transactions."""
    return int(round(share * n_bg / (1.0 - share))) if share > 0 else 0


def sample_baseline(world: World, target: int, seed: int, names: list[str] | None = None,
                    progress: Callable[[int, int], None] | None = None,
                    block: int | None = None, limit: int | None = None,
                    window: tuple[int, int] | None = None) -> list:
    """Compiled typology instances of about ``target`` rows in all, as `inject_baseline`
    adds them. Compiling reads only ``world``'s banks and accounts, so a World whose ledger
    stays on disk works too. ``block`` names one of several independent draws (each with
    its own random stream and compile seeds) that a sharded World makes in parallel; ``limit``
    stops after that many instances; ``window`` (epoch seconds) places every instance inside
    that part of the period (a release's train, validation or test period)."""
    lib = library()
    names = sorted(names or lib)
    key = [seed, 0xBA5E] if block is None else [seed, 0xBA5E, block]
    base = seed * 1_000_003 + (0 if block is None else (block + 1) * 10_000_019)
    rng = np.random.default_rng(key)
    compiled, rows, failures, k = [], 0, 0, 0
    order: list[str] = []
    while rows < target and (limit is None or len(compiled) < limit):
        if not order:
            order = [names[i] for i in rng.permutation(len(names))]
        name = order.pop()
        try:
            c = compile_scenario(lib[name].sample(rng), world, seed=base + k, window=window)
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
