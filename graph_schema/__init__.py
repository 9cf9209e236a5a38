"""graph_schema: the data of redledger, and what makes it.

- the contract: the scenario DSL, the ledger and account tables (Arrow schemas);
- the compiler from scenarios to labelled ledger rows, and the baseline typology library;
- the background World simulator (`world/`), whole or in shards (`sharding`);
- the file formats (`formats/`): Parquet World directories, whole or partitioned, AMLworld's
  triplet and AMLSim's CSV, written atomically and streamed at scale.

It imports nothing else from the project.
"""

from graph_schema.compiler import CompiledScenario, compile, compile_scenario, parse_scenario
from graph_schema.dsl import Scenario, scenario_json_schema
from graph_schema.enums import Channel, Currency, EntityKind, Profile, Purpose, Role, Typology
from graph_schema.errors import ScenarioError
from graph_schema.world import World, WorldConfig, generate_world
from graph_schema.world.inject import InjectedScenario, inject

__all__ = [
    "Channel",
    "CompiledScenario",
    "Currency",
    "EntityKind",
    "InjectedScenario",
    "Profile",
    "Purpose",
    "Role",
    "Scenario",
    "ScenarioError",
    "Typology",
    "World",
    "WorldConfig",
    "compile",
    "compile_scenario",
    "generate_world",
    "inject",
    "parse_scenario",
    "scenario_json_schema",
]
