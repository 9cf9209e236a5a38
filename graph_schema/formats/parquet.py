"""A World on disk: Parquet tables plus a JSON manifest of its config and injected scenarios.

Layout of a World directory::

    ledger.parquet     transactions (LEDGER_SCHEMA), sorted by time
    accounts.parquet   accounts (ACCOUNT_SCHEMA)
    banks.parquet      banks (BANK_SCHEMA)
    world.json         the WorldConfig
    scenarios.jsonl    one line per injected scenario: id, seed, rows, DSL document
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import ValidationError

from graph_schema.compiler import parse_scenario
from graph_schema.errors import ScenarioError
from graph_schema.formats.atomic import atomic_path, write_text_atomic
from graph_schema.world import World, WorldConfig
from graph_schema.world.inject import InjectedScenario


class FormatError(ValueError):
    """A file does not follow the format it claims; the message names file, field and rule."""


def write_table(table: pa.Table, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")


def read_table(path: str | Path, schema: pa.Schema) -> pa.Table:
    """Read a Parquet table and check it has the columns and types of ``schema``.

    Raises:
        FormatError: a column is missing or has another type.
    """
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as err:
        raise FormatError(f"{path}: not a readable Parquet file ({err})") from None
    for f in schema:
        if f.name not in table.column_names:
            raise FormatError(f"{path}: column '{f.name}': required column is missing")
        got = table.schema.field(f.name).type
        if got != f.type:
            try:
                table = table.set_column(table.schema.get_field_index(f.name), f,
                                         table.column(f.name).cast(f.type))
            except (pa.ArrowException, ValueError):
                raise FormatError(f"{path}: column '{f.name}': type {got} is not {f.type}") from None
    return table.select(schema.names).cast(schema)


def write_world(world: World, out: str | Path) -> None:
    """Write ``world`` into directory ``out`` (created if needed), each file atomically."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_table(world.ledger, out / "ledger.parquet")
    write_table(world.accounts, out / "accounts.parquet")
    write_table(world.banks, out / "banks.parquet")
    write_text_atomic(out / "world.json", world.config.model_dump_json(indent=2) + "\n")
    write_text_atomic(out / "scenarios.jsonl", scenario_lines(world.scenarios))


def read_world_config(path: Path) -> WorldConfig:
    if not (path / "world.json").is_file():
        raise FormatError(f"{path}: not a World directory (world.json is missing)")
    try:
        return WorldConfig.model_validate_json((path / "world.json").read_text())
    except ValidationError as err:
        e = err.errors()[0]
        loc = ".".join(str(x) for x in e["loc"]) or "$"
        raise FormatError(f"{path / 'world.json'}: {loc}: {e['msg']}") from None


def read_scenarios(path: Path) -> list[InjectedScenario]:
    scenarios = []
    sc_path = path / "scenarios.jsonl"
    if sc_path.is_file():
        for n, line in enumerate(sc_path.read_text().splitlines(), 1):
            try:
                rec = json.loads(line)
                scenarios.append(InjectedScenario(rec["scenario_id"], int(rec["seed"]),
                                                  parse_scenario(rec["scenario"]), int(rec["n_rows"])))
            except (ValueError, KeyError, ScenarioError) as err:
                raise FormatError(f"{sc_path}:{n}: {err}") from None
    return scenarios


def scenario_lines(scenarios: list[InjectedScenario]) -> str:
    """``scenarios.jsonl``'s text: one JSON object per injected scenario."""
    lines = [json.dumps({"scenario_id": s.scenario_id, "seed": s.seed, "n_rows": s.n_rows,
                         "scenario": s.scenario.model_dump(mode="json")}, sort_keys=True)
             for s in scenarios]
    return "".join(line + "\n" for line in lines)
