"""The procedural planner: samples a typology template with parameters varied by the brief.

The brief picks the template (its typology), narrows choice parameters to the brief's
payment formats and jurisdictions, sets count parameters by complexity, and answers the
brief's red flags to avoid with the matching mutation operators.
"""

from __future__ import annotations

import asyncio
import zlib

import numpy as np

from agents.base import Planner
from agents.errors import RoleError
from agents.models import Brief
from agents.procedural.blend_ops import blend_draft, world_room
from agents.procedural.evolver import fit_timing
from agents.procedural.load_ops import fit_capacity
from agents.procedural.operators import OPERATORS, OpContext
from graph_schema.compiler import compile_scenario, parse_scenario
from graph_schema.dsl import Lineage, Scenario
from graph_schema.errors import ScenarioError
from graph_schema.typologies import Template, library

# Parameters that are not sizes of the operation.
_NOT_COUNTS = {"hijack_every", "walk_seed", "repay"}
# red flag of a brief's `avoid` list -> operator that removes it
AVOID_OPERATORS = {
    "rapid pass-through": "add_delay",
    "many new accounts": "recruit_hijacked",
    "high fan-out": "reduce_fan_degree",
    "high fan-in": "reduce_fan_degree",
    "amounts just below thresholds": "change_channel",
    "activity unlike the customer's profile": "add_camouflage",
    "unusual hours": "spread_over_time",
}


def templates_for(brief: Brief) -> list[Template]:
    lib = library()
    primary = [t for t in lib.values() if t.typology[0] == brief.typology.value]
    return primary or [t for t in lib.values() if brief.typology.value in t.typology] or list(lib.values())


def brief_params(t: Template, brief: Brief, rng: np.random.Generator, world=None) -> dict:
    """Sample ``t``'s parameters, then bend them towards the brief."""
    params = t.sample_params(rng)
    level = (brief.complexity - 1) / 4
    for name, spec in t.params.items():
        if "int" in spec and name not in _NOT_COUNTS:
            lo, hi = spec["int"]
            centre = lo + level * (hi - lo)
            params[name] = int(np.clip(round(centre + rng.normal(0, (hi - lo) / 8 + 0.5)), lo, hi))
        elif "choice" in spec and isinstance(spec["choice"][0], str):
            wanted = _wanted(name, brief, world)
            both = [c for c in spec["choice"] if c in wanted]
            if both:
                params[name] = both[int(rng.integers(len(both)))]
    return params


def _wanted(name: str, brief: Brief, world) -> set[str]:
    if "channel" in name:
        return {c.value for c in brief.channels}
    if name in ("jur", "home", "sink_jur", "payee_jur", "offshore"):
        have = set(world.bank_jurisdiction) if world is not None else None
        return {j for j in brief.jurisdictions if have is None or j in have}
    return set()


class TemplatePlanner(Planner):
    """Brief -> Scenario by sampling the typology library (no LLM).

    Args:
        world: if given, every draft must compile in it; drafts that do not are redrawn.
        seed: base seed; the draft depends on (seed, brief, sample) only.
        max_attempts: redraws before giving up.
        max_days: longest horizon a draft may have (None: the World's period); a template's
            longer timing is scaled down to fit.
        fit_capacity: bring every account's load within what its profile's peers turn over
            (`agents.procedural.load_ops.fit_capacity`) before the draft is returned.
        blend_in: fit the capacity, then recruit every customer account from the World's
            accounts instead of opening it and put every payment on the calendar
            (`agents.procedural.blend_ops.blend_draft`).
        commingle: with ``blend_in``, also make every transfer between two customer accounts
            ride its payer's own payments (`blend_draft`'s ``rides``; for measurements).
    """

    def __init__(self, world=None, seed: int = 0, max_attempts: int = 25, max_days: float | None = None,
                 fit_capacity: bool = False, blend_in: bool = False, commingle: bool = False):
        self.world, self.seed, self.max_attempts = world, seed, max_attempts
        self.commingle = commingle
        self.fit_capacity, self.blend_in = fit_capacity or blend_in, blend_in
        self.max_days = min(float(world.config.days) if world is not None else 365.0, max_days or 365.0)
        self.capped = max_days is not None

    async def plan(self, brief: Brief, sample: int = 0) -> Scenario:
        return await asyncio.to_thread(self._plan, brief, sample)

    def _plan(self, brief: Brief, sample: int) -> Scenario:
        rng = np.random.default_rng([self.seed, zlib.crc32(brief.uid.encode()), sample])
        pool = templates_for(brief)
        last = "no template renders"
        max_days = self.max_days
        for _ in range(self.max_attempts):
            t = pool[int(rng.integers(len(pool)))]
            try:
                s = t.render(brief_params(t, brief, rng, self.world))
                s = self._avoid(s, brief, rng, max_days)
                if self.fit_capacity:
                    s = self._fit_capacity(s, rng, max_days)
                if self.blend_in:
                    s = self._blend_in(s, max_days)
                if self.capped:
                    fitted = fit_timing(s, max_days, 0.1)
                    if fitted is None:
                        raise ScenarioError("horizon_days", f"the timing does not fit {max_days:g} days")
                    s = fitted
                if self.world is not None:
                    compile_scenario(s, self.world, seed=0)
                return s
            except ScenarioError as err:
                last = str(err)
        raise RoleError("planner", f"no valid draft for brief {brief.uid} after "
                        f"{self.max_attempts} attempts; last error: {last}")

    def _fit_capacity(self, s: Scenario, rng, max_days: float) -> Scenario:
        doc = fit_capacity(s.model_dump(mode="json"), rng, OpContext(max_days=max_days))
        return _marked(s, doc, "capacity")

    def _blend_in(self, s: Scenario, max_days: float) -> Scenario:
        room = None if self.world is None else world_room(self.world)
        doc = blend_draft(s.model_dump(mode="json"), OpContext(max_days=max_days), room, self.commingle)
        return _marked(s, doc, "blend+ride" if self.commingle else "blend")

    def _avoid(self, s: Scenario, brief: Brief, rng, max_days: float) -> Scenario:
        ops = [AVOID_OPERATORS[a] for a in brief.avoid if a in AVOID_OPERATORS]
        if not ops:
            return s
        doc = s.model_dump(mode="json")
        for op in ops:
            out = OPERATORS[op](doc, rng, OpContext(max_days=max_days))
            doc = out if out is not None else doc
        return _marked(s, doc, "avoid")


def _marked(s: Scenario, doc: dict, step: str) -> Scenario:
    """``doc``, a rewrite of draft ``s``, parsed with ``step`` added to the lineage of ``s``."""
    lineage = Lineage(operator=f"{s.lineage.operator}+{step}", generation=0)
    return parse_scenario({**doc, "lineage": lineage.model_dump(mode="json")})


__all__ = ["AVOID_OPERATORS", "TemplatePlanner", "brief_params", "templates_for"]
