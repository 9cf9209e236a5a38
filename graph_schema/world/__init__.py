"""The background World: a vectorised, seeded economy that scenarios are injected into."""

from graph_schema.world.config import WorldConfig
from graph_schema.world.core import World, generate_world, legit_flows, legit_participants, second_world

__all__ = ["World", "WorldConfig", "generate_world", "legit_flows", "legit_participants", "second_world"]
