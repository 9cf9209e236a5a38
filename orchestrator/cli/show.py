"""`redledger show RUN_DIR archive | scenario ID | debate ID | top N`."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.syntax import Syntax
from rich.tree import Tree

from graph_schema.dsl import Scenario
from orchestrator.cli.common import fail
from orchestrator.cli.output import ID_CHARS, emit_json, out_console, short, table
from orchestrator.engine import SEP, InspectError, RunView, cell_grid

ROLE_COLOUR = {
    "planner": "cyan",
    "critic": "yellow",
    "adversary": "red",
    "evolver": "green",
    "judge": "magenta",
}


def _heat(x: float) -> str:
    colour = "red" if x < 0.25 else "yellow" if x < 0.5 else "green" if x < 0.75 else "bold green"
    return f"[{colour}]{x:.2f}[/]"


def show_archive(v: RunView, out: Console) -> None:
    """The grid with the last descriptor across (a few bins) and the others down, so it fits 80 columns."""
    cells = v.archive()
    if not cells:
        fail(f"{v.run_dir}: the archive is empty (no round has closed with an elite)")
    names = v.cfg.archive.descriptors
    across = len(names) > 1
    g = cell_grid(cells, down=len(names) - 1 if across else 1)
    out.print(f"archive after round {v.last} ({len(cells)} elites): evasion / Elo per cell", highlight=False)
    t = table()
    t.add_column(SEP.join(names[:-1]) if across else names[0], no_wrap=True)
    for c in g.cols:
        t.add_column(c or "elite", justify="center", no_wrap=True)
    for i, r in enumerate(g.rows):
        line = []
        for j in range(len(g.cols)):
            e = g.at.get((i, j))
            line.append(f"{_heat(e['evasion'])} {e['elo'] or 0:.0f}" if e else "[dim]·[/]")
        t.add_row(r, *line)
    out.print(t)
    from orchestrator.report import archive_novelty

    out.print(f"novelty, distance to the nearest template: {archive_novelty(v, v.run_dir)}", highlight=False)


# (header, key, shown at 80 columns)
TOP_COLUMNS = (
    ("id", "scenario_id", True),
    ("Elo", "elo", True),
    ("games", "games", False),
    ("typology", "typology", True),
    ("cell", "cell", True),
    ("band", "band", False),
    ("funds\nUSD", "funds_integrated", True),
    ("real-\nism", "realism", False),
    ("eva-\nsion", "evasion", False),
    ("value\nev.", "value_evasion", True),
    ("case\nev.", "case_evasion", True),
    ("name", "name", False),
)


def _top_cell(key: str, r: dict) -> str:
    x = r[key]
    if key == "scenario_id":
        return short(x)
    if key in ("evasion", "value_evasion", "case_evasion"):
        return _heat(x or 0)
    return {
        "elo": lambda: f"{x:.0f}",
        "funds_integrated": lambda: f"{x or 0:,.0f}",
        "realism": lambda: f"{x or 0:.2f}",
        "cell": lambda: x or "-",
    }.get(key, lambda: str(x))()


def show_top(v: RunView, n: int, cell: str | None, band: str | None, out: Console, wide: bool) -> None:
    where = "".join(x for x in (cell and f" in cell {cell}", band and f" in volume band {band}") if x)
    cols = [c for c in TOP_COLUMNS if wide or c[2]]
    t = table(f"top {n} by Elo after round {v.last}{where}")
    for head, key, _ in cols:
        text = key in ("typology", "cell", "name")  # these fold; ids and numbers never break
        t.add_column(
            head,
            no_wrap=not text,
            overflow="fold" if text else "ellipsis",
            justify="right" if key in ("elo", "games", "funds_integrated", "realism") else "left",
        )
    for r in v.top(n, cell=cell, band=band):
        t.add_row(*(_top_cell(key, r) for _, key, _ in cols))
    out.print(t)
    if not wide:
        out.print(
            f"[dim]ids are {ID_CHARS}-character prefixes (any unique prefix works with `show scenario`); "
            "more columns: --wide; for scripts: --json[/]"
        )


def flow_tree(s: Scenario) -> Tree:
    """The money flows as a tree from the entities holding the proceeds."""
    tree = Tree(
        f"[bold]{s.name}[/] ({', '.join(t.value for t in s.typology)}), {s.funds_placed:,.0f} "
        f"{s.currency.value}"
    )
    out: dict[str, list] = {}
    for t in s.transfers:
        out.setdefault(t.src, []).append(t)
    seen: set[str] = set()

    def grow(node: Tree, eid: str) -> None:
        for t in out.get(eid, []):
            label = (
                f"{t.id}: → {t.dst} ({t.channel.value}, {t.amount.kind}"
                + (f", x{t.timing.repeats}" if t.timing.repeats > 1 else "")
                + (", camouflage" if t.purpose.value == "camouflage" else "")
                + ")"
            )
            child = node.add(label)
            if t.dst not in seen:
                seen.add(t.dst)
                grow(child, t.dst)

    for e in s.entities:
        if e.initial_funds:
            seen.add(e.id)
            grow(tree.add(f"[bold]{e.id}[/] ({e.kind.value}, {e.jurisdiction})"), e.id)
    return tree


def show_scenario(v: RunView, sid: str, stdout: Console) -> None:
    d = v.scenario(sid)
    s = Scenario.model_validate_json(d["body"])
    stdout.print(Panel(flow_tree(s), title=f"scenario {d['id']}  Elo {d['elo'] or 0:.0f}"))
    stdout.print(Syntax(json.dumps(json.loads(d["body"]), indent=2), "json", word_wrap=True))
    if d["review"]:
        r = d["review"]
        t = table(
            f"review: realism {r['realism']:.2f} ({'accepted' if r['accepted'] else 'rejected'}) by "
            f"{r['reviewer']}"
        )
        t.add_column("check")
        t.add_column("score", justify="right")
        t.add_column("reason")
        for c in r["checks"]:
            t.add_row(c["name"], f"{c['score']:.2f}", c["reason"])
        for g in r.get("gates", []):
            t.add_row(f"gate: {g['name']}", "pass" if g["score"] >= 1 else "[red]fail[/]", g["reason"])
        stdout.print(t)
    for e in d["evaluations"]:
        rep = json.loads(e["body"])
        stdout.print(
            f"detectors v{e['detector_version']}: evasion {rep['evasion']:.3f}, evaded share "
            f"{rep['evaded_share']:.3f}, undetected value {rep['evaded_value_share']:.3f}, case undetected "
            f"{rep['case_evaded_share']:.3f}, {rep['funds_integrated']:,.0f} USD integrated "
            f"({rep['integration_share']:.0%} of the funds placed); {rep['argument']}"
        )
    lin = s.lineage
    stdout.print(
        f"lineage: generation {lin.generation}, operator {lin.operator}, parents "
        f"{', '.join(lin.parents) or 'none'}; debates: {', '.join(d['debates']) or 'none'}"
    )


def show_debate(v: RunView, did: str, stdout: Console) -> None:
    d = v.debate(did)
    stdout.print(
        f"[bold]debate {d['id']}[/] round {d['round']} slot {d['slot']} ({d['origin']}): "
        f"{d['outcome']}, {d['turns']} turns, {d['seconds']:.2f} s"
        + (f", error: {d['error']}" if d["error"] else "")
    )
    for t in d["transcript"]:
        colour = ROLE_COLOUR.get(t["role"], "white")
        head = (f"[{colour}]{t['idx']}. {t['role']}[/] ({t['model']}, "
                f"{t['tokens_in']}+{t['tokens_out']} tokens, "
                f"{t['latency_s']:.2f} s)")
        body = f"[red]failed: {t['error']}[/]" if t["error"] else (t["text"] or "")
        failed = [c for c in t["calls"] if not c["ok"]]
        if t["calls"]:
            body += (f"\n[dim]{len(t['calls'])} LLM request(s) at {t['calls'][0]['endpoint']}, "
                     f"{len(failed)} failed[/]")
        for c in failed:  # every failure, with its cause: HTTP errors and answers that broke the schema
            body += f"\n[red]request {c['seq'] + 1} ({c['method']}): {escape(c['error'] or 'failed')}[/]"
        if t["scenario_id"]:
            body += f"\n[dim]scenario {t['scenario_id']}[/]"
        stdout.print(Panel(body, title=head, title_align="left", border_style=colour))


def _json(v: RunView, what: str, arg: str | None, cell: str | None, band: str | None):
    if what == "archive":
        return {"round": v.last, "descriptors": v.cfg.archive.descriptors, "cells": v.archive()}
    if what == "top":
        return {"round": v.last, "rows": v.top(int(arg or 10), cell=cell, band=band)}
    d = v.scenario(arg) if what == "scenario" else v.debate(arg)
    if what == "scenario":
        d = {
            **d,
            "body": json.loads(d["body"]),
            "evaluations": [{**e, "body": json.loads(e["body"])} for e in d["evaluations"]],
        }
    return d


def show(
    run_dir: Path = typer.Argument(..., help="Run directory."),
    what: str = typer.Argument(..., help="archive | scenario | debate | top"),
    arg: str = typer.Argument(None, help="scenario or debate id (a unique prefix is enough), or N for top."),
    cell: str = typer.Option(
        None, "--cell", help="top: only the elite of this archive cell, e.g. 'fan|c1|v2'."
    ),
    band: str = typer.Option(None, "--band", help="top: only scenarios of this volume band (v0, v1, ...)."),
    as_json: bool = typer.Option(
        False, "--json", help="Print the view as JSON (full ids, every field) for scripts."
    ),
    wide: bool = typer.Option(
        False, "--wide", help="top: every column (games, band, realism, evasion, name)."
    ),
) -> None:
    """Inspect a run: the archive grid, a scenario, a debate transcript, or the top N by Elo.
    Rounds count from 0."""
    if what not in ("archive", "top", "scenario", "debate"):
        fail(f"show: unknown view '{what}' (archive, scenario, debate, top)")
    if what in ("scenario", "debate") and not arg:
        fail(f"show {what}: give an id")
    if what == "top" and arg is not None and not arg.isdigit():
        fail(f"show top: N must be a whole number, not '{arg}'")
    out = out_console(wide)
    try:
        v = RunView.open(run_dir)
        if as_json:
            emit_json(_json(v, what, arg, cell, band))
        elif what == "archive":
            show_archive(v, out)
        elif what == "top":
            show_top(v, int(arg or 10), cell, band, out, wide)
        else:
            (show_scenario if what == "scenario" else show_debate)(v, arg, out)
    except InspectError as err:
        fail(str(err))


__all__ = ["flow_tree", "show"]
