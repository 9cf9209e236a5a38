"""`redledger show RUN_DIR archive | scenario ID | debate ID | top N`."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.tree import Tree

from graph_schema.dsl import Scenario
from orchestrator.cli.common import fail
from orchestrator.inspect import InspectError, RunView

stdout = Console()
ROLE_COLOUR = {"planner": "cyan", "critic": "yellow", "adversary": "red", "evolver": "green", "judge": "magenta"}


def _heat(x: float) -> str:
    colour = "red" if x < 0.25 else "yellow" if x < 0.5 else "green" if x < 0.75 else "bold green"
    return f"[{colour}]{x:.2f}[/]"


def show_archive(v: RunView) -> None:
    cells = v.archive()
    if not cells:
        fail(f"{v.run_dir}: the archive is empty (no round has closed with an elite)")
    axes = [c["cell"].split("|") for c in cells]
    rows = sorted({a[0] for a in axes})
    cols = sorted({"|".join(a[1:]) for a in axes})
    stdout.print(f"archive after round {v.last} ({len(cells)} elites): evasion / Elo per cell", highlight=False)
    t = Table()
    t.add_column(v.cfg.archive.descriptors[0])
    for c in cols:
        t.add_column(c, justify="center")
    by = {c["cell"]: c for c in cells}
    for r in rows:
        out = []
        for c in cols:
            e = by.get(f"{r}|{c}" if c else r)
            out.append(f"{_heat(e['evasion'])}\n{e['elo'] or 0:.0f}" if e else "[dim]·[/]")
        t.add_row(r, *out)
    stdout.print(t)


def show_top(v: RunView, n: int, cell: str | None = None, band: str | None = None) -> None:
    where = "".join(x for x in (cell and f" in cell {cell}", band and f" in volume band {band}") if x)
    t = Table(title=f"top {n} by Elo after round {v.last}{where}")
    for col in ("id", "Elo", "games", "typology", "cell", "band", "funds (USD)", "realism", "evasion",
                "value ev.", "case ev.", "name"):
        t.add_column(col)
    for r in v.top(n, cell=cell, band=band):
        t.add_row(r["scenario_id"], f"{r['elo']:.0f}", str(r["games"]), r["typology"], r["cell"] or "-", r["band"],
                  f"{r['funds_integrated'] or 0:,.0f}", f"{r['realism'] or 0:.2f}", _heat(r["evasion"] or 0),
                  _heat(r["value_evasion"] or 0), _heat(r["case_evasion"] or 0), r["name"])
    stdout.print(t)


def flow_tree(s: Scenario) -> Tree:
    """The money flows as a tree from the entities holding the proceeds."""
    tree = Tree(f"[bold]{s.name}[/] ({', '.join(t.value for t in s.typology)}), {s.funds_placed:,.0f} {s.currency.value}")
    out: dict[str, list] = {}
    for t in s.transfers:
        out.setdefault(t.src, []).append(t)
    seen: set[str] = set()

    def grow(node: Tree, eid: str) -> None:
        for t in out.get(eid, []):
            label = f"{t.id}: → {t.dst} ({t.channel.value}, {t.amount.kind}" + \
                    (f", x{t.timing.repeats}" if t.timing.repeats > 1 else "") + \
                    (", camouflage" if t.purpose.value == "camouflage" else "") + ")"
            child = node.add(label)
            if t.dst not in seen:
                seen.add(t.dst)
                grow(child, t.dst)

    for e in s.entities:
        if e.initial_funds:
            seen.add(e.id)
            grow(tree.add(f"[bold]{e.id}[/] ({e.kind.value}, {e.jurisdiction})"), e.id)
    return tree


def show_scenario(v: RunView, sid: str) -> None:
    d = v.scenario(sid)
    s = Scenario.model_validate_json(d["body"])
    stdout.print(Panel(flow_tree(s), title=f"scenario {d['id']}  Elo {d['elo'] or 0:.0f}"))
    stdout.print(Syntax(json.dumps(json.loads(d["body"]), indent=2), "json", word_wrap=True))
    if d["review"]:
        r = d["review"]
        t = Table(title=f"review: realism {r['realism']:.2f} ({'accepted' if r['accepted'] else 'rejected'}) by {r['reviewer']}")
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
        stdout.print(f"detectors v{e['detector_version']}: evasion {rep['evasion']:.3f}, evaded share "
                     f"{rep['evaded_share']:.3f}, undetected value {rep['evaded_value_share']:.3f}, case undetected "
                     f"{rep['case_evaded_share']:.3f}, {rep['funds_integrated']:,.0f} USD integrated "
                     f"({rep['integration_share']:.0%} of the funds placed); {rep['argument']}")
    lin = s.lineage
    stdout.print(f"lineage: generation {lin.generation}, operator {lin.operator}, parents "
                 f"{', '.join(lin.parents) or 'none'}; debates: {', '.join(d['debates']) or 'none'}")


def show_debate(v: RunView, did: str) -> None:
    d = v.debate(did)
    stdout.print(f"[bold]debate {d['id']}[/] round {d['round']} slot {d['slot']} ({d['origin']}): "
                 f"{d['outcome']}, {d['turns']} turns, {d['seconds']:.2f} s" + (f", error: {d['error']}" if d["error"] else ""))
    for t in d["transcript"]:
        colour = ROLE_COLOUR.get(t["role"], "white")
        head = f"[{colour}]{t['idx']}. {t['role']}[/] ({t['model']}, {t['tokens_in']}+{t['tokens_out']} tokens, {t['latency_s']:.2f} s)"
        body = f"[red]failed: {t['error']}[/]" if t["error"] else (t["text"] or "")
        failed = [c for c in t["calls"] if not c["ok"]]
        if t["calls"]:
            body += (f"\n[dim]{len(t['calls'])} LLM request(s) at {t['calls'][0]['endpoint']}, {len(failed)} failed"
                     + (f"; last failure: {failed[-1]['error']}" if failed else "") + "[/]")
        if t["scenario_id"]:
            body += f"\n[dim]scenario {t['scenario_id']}[/]"
        stdout.print(Panel(body, title=head, title_align="left", border_style=colour))


def show(
    run_dir: Path = typer.Argument(..., help="Run directory."),
    what: str = typer.Argument(..., help="archive | scenario | debate | top"),
    arg: str = typer.Argument(None, help="scenario or debate id (a unique prefix is enough), or N for top."),
    cell: str = typer.Option(None, "--cell", help="top: only the elite of this archive cell, e.g. 'fan|c1|v2'."),
    band: str = typer.Option(None, "--band", help="top: only scenarios of this volume band (v0, v1, ...)."),
) -> None:
    """Inspect a run: the archive grid, a scenario, a debate transcript, or the top N by Elo."""
    try:
        v = RunView.open(run_dir)
        if what == "archive":
            show_archive(v)
        elif what == "top":
            show_top(v, int(arg or 10), cell, band)
        elif what in ("scenario", "debate"):
            if not arg:
                fail(f"show {what}: give an id")
            (show_scenario if what == "scenario" else show_debate)(v, arg)
        else:
            fail(f"show: unknown view '{what}' (archive, scenario, debate, top)")
    except InspectError as err:
        fail(str(err))
    except ValueError:
        fail(f"show top: N must be a number, not '{arg}'")


__all__ = ["flow_tree", "show"]
