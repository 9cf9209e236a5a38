"""The `redledger` command line (typer + rich).

Bad input is reported in one line naming the file, field and rule, with exit code 2.
"""

from __future__ import annotations

import typer

from orchestrator.cli.benchmark import benchmark
from orchestrator.cli.briefs import briefs, principles
from orchestrator.cli.common import run_guarded
from orchestrator.cli.demo import demo
from orchestrator.cli.doctor import doctor
from orchestrator.cli.export import export
from orchestrator.cli.report import report
from orchestrator.cli.run import resume, run, status, stop
from orchestrator.cli.scenario import check, typologies
from orchestrator.cli.serve import serve
from orchestrator.cli.show import show
from orchestrator.cli.world import world

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="redledger: red-team AML detection with evolving laundering scenarios.")
app.command()(world)
app.command()(check)
app.command()(typologies)
app.command()(benchmark)
app.command()(briefs)
app.command()(principles)
app.command()(run)
app.command()(resume)
app.command()(status)
app.command()(stop)
app.command()(export)
app.command()(show)
app.command()(report)
app.command()(serve)
app.command()(demo)
app.command()(doctor)


def main() -> None:
    run_guarded(app)


__all__ = ["app", "main"]
