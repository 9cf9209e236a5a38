"""`redledger check` and `redledger typologies`: validate scenarios, browse the library."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import typer
from rich.console import Console
from rich.table import Table
from rich.tree import Tree

from graph_schema import ScenarioError, compile_scenario, parse_scenario
from graph_schema.formats import FormatError, read_world
from graph_schema.typologies import library
from graph_schema.world import WorldConfig, generate_world
from orchestrator.cli.common import fail

stdout = Console()


def check(
    scenario: Path = typer.Argument(..., help="Scenario document (JSON)."),
    world_dir: Path = typer.Option(
        None, "--world", help="World directory; default: a small generated World."
    ),
    seed: int = typer.Option(0, help="Compile seed."),
) -> None:
    """Validate and compile a scenario; print its money flows or the rule it breaks."""
    try:
        text = scenario.read_text(encoding="utf-8")
    except OSError as err:
        fail(f"{scenario}: cannot read ({err.strerror})")
    except UnicodeDecodeError as err:
        fail(f"{scenario}: not UTF-8 text (byte {err.start} is 0x{err.object[err.start]:02x})")
    try:
        s = parse_scenario(text)
        w = read_world(world_dir) if world_dir else generate_world(WorldConfig(accounts=5000, days=30))
        c = compile_scenario(s, w, seed)
    except (ScenarioError, FormatError) as err:
        fail(f"{scenario}: {err}")
    tree = Tree(
        f"[bold]{s.name}[/bold] ({', '.join(t.value for t in s.typology)}) - {c.rows.num_rows} transactions"
    )
    rows = c.rows.to_pylist()
    for i, t in enumerate(s.transfers):
        mine = [r for r, ti in zip(rows, c.transfer_index, strict=True) if ti == i]
        total = sum(r["amount_paid"] for r in mine)
        tree.add(
            f"{t.id}: {t.src} -> {t.dst}  {len(mine)} x {t.channel.value}, "
            f"{total:,.2f} paid, first {mine[0]['timestamp']:%Y-%m-%d %H:%M}"
        )
    stdout.print(tree)


def typologies(
    sample: str = typer.Option(None, help="Print one sampled scenario of this template as JSON."),
    seed: int = typer.Option(0, help="Seed for --sample."),
) -> None:
    """List the baseline typology templates, or print a sampled instance of one."""
    lib = library()
    if sample:
        if sample not in lib:
            fail(f"--sample: unknown template '{sample}' (known: {', '.join(sorted(lib))})")
        s = lib[sample].sample(np.random.default_rng(seed))
        print(json.dumps(s.model_dump(mode="json"), indent=2))
        return
    table = Table("template", "tags", "parameters", "summary")
    for name, t in sorted(lib.items()):
        table.add_row(name, ", ".join(t.typology), ", ".join(t.params), t.summary)
    stdout.print(table)
