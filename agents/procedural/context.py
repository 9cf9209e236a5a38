"""What the realism checks look at: a scenario compiled in the World, as flat arrays."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from agents.principles import Bands
from agents.procedural.stats import KIND_PROFILE, WorldStats, hour_weekday
from graph_schema.compiler import CompiledScenario
from graph_schema.dsl import Scenario
from graph_schema.enums import Purpose
from graph_schema.reference import usd_per_unit
from graph_schema.tables import CHANNELS, CURRENCIES, PROFILES, dictionary_codes


@dataclass
class CheckContext:
    """A compiled scenario with its rows as arrays, the World's statistics and the bands."""

    scenario: Scenario
    compiled: CompiledScenario
    stats: WorldStats
    bands: Bands
    discriminator: object | None = None  # a fitted detectors.discriminator.RealismDiscriminator

    @cached_property
    def entity_profile(self) -> dict[str, int]:
        """Profile code of each entity's account (hijacked: the real one; new: by kind)."""
        out = {}
        for e in self.scenario.entities:
            acc = self.compiled.entity_accounts[e.id]
            if acc >= 0:
                out[e.id] = int(self.stats.account_profile[acc])
            else:
                out[e.id] = PROFILES.index(KIND_PROFILE[e.kind].value)
        return out

    @cached_property
    def row_src(self) -> list[str]:
        tr = self.scenario.transfers
        return [tr[i].src for i in self.compiled.transfer_index]

    @cached_property
    def row_dst(self) -> list[str]:
        tr = self.scenario.transfers
        return [tr[i].dst for i in self.compiled.transfer_index]

    @cached_property
    def channel(self) -> np.ndarray:
        return dictionary_codes(self.compiled.rows.column("channel"), CHANNELS)

    @cached_property
    def usd(self) -> np.ndarray:
        cur = dictionary_codes(self.compiled.rows.column("payment_currency"), CURRENCIES)
        return self.compiled.rows.column("amount_paid").to_numpy() * usd_per_unit()[cur]

    @cached_property
    def timestamps(self) -> np.ndarray:
        return self.compiled.rows.column("timestamp").to_numpy().view(np.int64)

    @cached_property
    def hour_weekday(self) -> tuple[np.ndarray, np.ndarray]:
        return hour_weekday(self.timestamps)

    @cached_property
    def camouflage(self) -> np.ndarray:
        tr = self.scenario.transfers
        return np.array([tr[i].purpose is Purpose.CAMOUFLAGE for i in self.compiled.transfer_index])

    def transfer_id(self, row: int) -> str:
        return self.scenario.transfers[int(self.compiled.transfer_index[row])].id


__all__ = ["CheckContext"]
