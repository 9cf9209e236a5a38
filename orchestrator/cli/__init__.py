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

COMMANDS = (world, check, typologies, benchmark, briefs, principles, run, resume, status, stop, export, show,
            report, serve, demo, doctor)


def make_app(extra: tuple = ()) -> typer.Typer:
    """The `redledger` app: every command here, then ``extra`` (the experiments' commands,
    which live above the orchestrator)."""
    app = typer.Typer(add_completion=False, no_args_is_help=True,
                      help="redledger: red-team AML detection with evolving laundering scenarios.")
    for command in (*COMMANDS, *extra):
        app.command()(command)
    return app


def main(extra: tuple = ()) -> None:
    run_guarded(make_app(extra))


__all__ = ["COMMANDS", "main", "make_app"]
