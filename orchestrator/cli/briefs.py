"""`redledger briefs` (the encoder) and `redledger principles` (what the critic and judge apply)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from agents.briefs import LLMBriefEncoder, document_briefs, library_briefs
from agents.errors import ConfigError, LLMCallError
from agents.llm import Backend, BackendConfig
from agents.principles import load_principles
from agents.procedural import CHECKS, OPERATORS
from graph_schema.formats import write_text_atomic
from orchestrator.cli.common import console, fail, load_toml_model

stdout = Console()


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        fail(f"{path}: not UTF-8 text; give plain-text or Markdown documents")
    except OSError as err:
        fail(f"{path}: cannot read ({err.strerror})")
    raise AssertionError("unreachable")


def briefs(
    sources: list[Path] = typer.Option(None, "--from", help="Text or Markdown documents (repeatable)."),
    use_library: bool = typer.Option(False, "--library", help="Also emit briefs from the typology library."),
    per_template: int = typer.Option(1, min=1, help="Library briefs per template."),
    llm: Path = typer.Option(None, help="Backend TOML (fields of a backend); encode with that chat model."),
    seed: int = typer.Option(0, help="Seed of the library briefs' complexity."),
    out: Path = typer.Option(..., help="Output JSONL file, one Brief per line."),
) -> None:
    """Encode briefs (scenario metadata) from documents such as typology reports, or from the library."""
    if not sources and not use_library:
        fail("--from: give at least one document, or --library")
    found = []
    if use_library:
        found += library_briefs(per_template, seed)
    backend, barren = None, []
    if llm is not None:
        try:
            backend = Backend(load_toml_model(llm, BackendConfig, {})).start()
        except ConfigError as err:
            fail(f"{llm}: {err}")
    try:
        for path in sources or []:
            text = _read(path)
            got = (asyncio.run(LLMBriefEncoder(backend.client("encoder")).encode(path.name, text))
                   if backend else document_briefs(path.name, text))
            if not got:
                barren.append(str(path))
            found += got
    except LLMCallError as err:
        fail(str(err))
    finally:
        if backend is not None:
            backend.close()
    if not found:
        fail(f"{', '.join(barren)}: no briefs: no passage names a typology the lexicon "
             "(agents/data/lexicon.toml) knows")
    for path in barren:
        console.print(f"[yellow]warning:[/yellow] {path}: no passage names a known typology", soft_wrap=True)
    write_text_atomic(out, "".join(b.model_dump_json() + "\n" for b in found))
    by = {}
    for b in found:
        by[b.typology.value] = by.get(b.typology.value, 0) + 1
    console.print(f"{len(found)} briefs -> {out} ({', '.join(f'{k} {v}' for k, v in sorted(by.items()))})")


def principles(
    file: Path = typer.Option(None, help="A principles file; default: the shipped agents/principles.toml."),
) -> None:
    """Show the critic's and judge's principles, the realism checks and the mutation operators."""
    try:
        p = load_principles(file)
    except ConfigError as err:
        fail(str(err))
    t = Table(title=f"critic (accept at realism >= {p.critic.accept_threshold})")
    for col in ("principle", "weight", "procedural check", "text"):
        t.add_column(col)
    for x in p.critic.principles:
        t.add_row(x.name, f"{x.weight:g}", "yes" if x.name in CHECKS else "LLM only", x.text)
    stdout.print(t)
    pr, rb = p.critic.purpose, p.critic.robustness
    g = Table(title="gates (a failure rejects whatever the realism)")
    g.add_column("gate")
    g.add_column("rule")
    g.add_row(
        "laundering_purpose",
        f"at least {pr.min_integrated_share:.0%} of the funds placed reach an endpoint "
        f"({', '.join(r.value for r in pr.endpoint_roles)}) or an exit paid as "
        f"{' or '.join(x.value for x in pr.exit_purposes) or 'nothing'}; funds floors (USD): "
        + ", ".join(f"{k} {v:,.0f}" for k, v in pr.funds_floor.items()),
    )
    g.add_row(
        "robustness",
        f"compiles under {rb.compile_seeds} compile seeds"
        + (" and in a second World of another seed" if rb.second_world else ""),
    )
    stdout.print(g)
    j = Table(
        title=f"judge (realism {p.judge.realism_weight:g}, {p.judge.evasion_measure} evasion "
        f"{p.judge.evasion_weight:g}, floor {p.judge.realism_floor:g})"
    )
    j.add_column("principle")
    j.add_column("text")
    for x in p.judge.principles:
        j.add_row(x.name, x.text)
    stdout.print(j)
    stdout.print("mutation operators: " + ", ".join(sorted(OPERATORS)) + ", crossover")


__all__ = ["briefs", "principles"]
