"""The `redledger` entry point: the orchestrator's commands plus `experiment` (the effect
analysis), `sample` (the released sample) and the benchmark release's commands (`release-pool`,
`release`, `release-baselines`, `evaluate`; `experiments/release`), which live here because arrows point down:
experiments use the orchestrator, never the other way round. Importing this module changes
nothing; `main` assembles the app.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from orchestrator import cli
from orchestrator.cli.common import console, fail


def experiment(
    config: Path = typer.Argument(..., help="Experiment TOML (see experiments/configs/effect-small.toml)."),
    out: Path = typer.Option(
        ..., "--out", help="Output directory; running again on it resumes and skips finished cells."
    ),
    ray_address: str = typer.Option(
        None, "--ray-address", help="Join a Ray cluster; cells run there as tasks."
    ),
    inline: bool = typer.Option(False, "--inline", help="Run every cell in this process (no Ray)."),
) -> None:
    """Effect analysis: evolve in World A, measure in held-out World B (E1 hardness, E2 training
    utility, E3 ablations, realism C2ST, E4 Elo); writes results.json, report.md, report.html."""
    import json

    from rich.markdown import Markdown

    from experiments.effect.analysis import analyse
    from experiments.effect.report import headline
    from experiments.effect.report_html import write_reports
    from graph_schema.formats.atomic import write_text_atomic

    cfg = _open(config, out, inline)
    t0 = time.monotonic()
    missing, total = _run_cells(cfg, out, None if inline else ray_address)
    if missing:
        console.print(
            f"stopped with {len(missing)} of {total} cells to go; run the same command to resume",
            highlight=False,
        )
        raise typer.Exit(130)
    res = analyse(cfg, out, round(time.monotonic() - t0, 1))
    write_text_atomic(out / "results.json", json.dumps(res, indent=1, sort_keys=True))
    md, page = write_reports(res, out)
    console.print(Markdown("\n".join(headline(res))))
    console.print(f"wrote {out / 'results.json'}, {md}, {page}", highlight=False)


def _open(config: Path, out: Path, inline: bool):
    """The experiment config, with its output directory opened (or resumed) for it."""
    from experiments.effect.config import load_experiment
    from experiments.effect.grid import OutDirError, open_out
    from orchestrator.engine import ConfigFileError

    if out.exists() and not out.is_dir():
        fail(f"{out}: --out must be a directory")
    try:
        cfg = load_experiment(config)
    except ConfigFileError as err:
        fail(str(err))
    if inline:
        cfg = cfg.model_copy(update={"workers": 1})
    try:
        open_out(cfg, out, config.read_text(encoding="utf-8"))
    except OutDirError as err:
        fail(str(err))
    return cfg


def _run_cells(cfg, out: Path, ray_address: str | None) -> tuple[list[str], int]:
    """Run the missing cells with a progress bar; Ctrl-C lets the cells in flight finish.
    Returns the cells still missing and the number of cells."""
    from experiments.effect.grid import CellFailed, execute, plan

    stop = [False]

    def on_signal(*_):
        stop[0] = True
        console.print("stopping: cells in flight finish and are stored; run the command again to resume")

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    total = len(plan(cfg).cells)
    running: list[str] = []
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as bar:
            task = bar.add_task("cells", total=total)

            def on_event(kind: str, key: str, done: int, _total: int) -> None:
                (running.append if kind == "start" else running.remove)(key)
                stop[0] = stop[0] or kind == "stopped"
                for sig in old:  # an inline run's event loop restores Python's handler when it ends
                    signal.signal(sig, on_signal)
                bar.update(
                    task, completed=done, description=f"cells ({', '.join(running[-2:]) or 'idle'})"[:70]
                )

            try:
                missing = execute(cfg, out, ray_address, on_event, lambda: stop[0])
            except CellFailed as err:
                console.print(
                    f"[red]error:[/red] {err}; the cells stored so far are kept: fix the cause and run "
                    "the same command to go on",
                    highlight=False,
                    soft_wrap=True,
                )
                raise typer.Exit(1) from None
            bar.update(task, completed=total - len(missing), description="cells")
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    return missing, total


SAMPLE_CONFIG = Path(__file__).parent / "configs" / "release-sample.toml"


def sample(
    out: Path = typer.Option(Path("datasets/sample"), "--out", help="Directory of the sample dataset."),
    force: bool = typer.Option(
        False,
        "--force",
        help="Replace an earlier sample in --out (a directory holding anything else is refused).",
    ),
) -> None:
    """Rebuild the released sample: `redledger release` on experiments/configs/release-sample.toml, a
    miniature of redledger-bench-v1 (same pool and split rule, a World small enough to commit)."""
    release(SAMPLE_CONFIG, out, force)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    console.print(f"sample dataset in {out}: {size / 1e6:.2f} MB", highlight=False)


def release_pool(
    experiment_dir: Path = typer.Argument(..., help="Output directory of `redledger experiment`."),
    out: Path = typer.Option(..., "--out", help="Pool file to write (JSON lines)."),
    arm: str = typer.Option("full", "--arm", help="The arm whose drafts and elites are taken."),
    seeds: str = typer.Option("1,2,3", "--seeds", help="Evolution seeds, comma-separated."),
) -> None:
    """Collect an effect experiment's planner drafts and archive elites into a scenario pool."""
    from experiments.release.pool import PoolError, pool_from_experiment, write_pool

    try:
        wanted = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        fail(f"--seeds '{seeds}': must be comma-separated integers")
    try:
        rows = pool_from_experiment(experiment_dir, arm, wanted)
    except PoolError as err:
        fail(str(err))
    write_pool(rows, out)
    kinds = {k: sum(r["kind"] == k for r in rows) for k in ("draft", "elite")}
    console.print(f"wrote {out}: {kinds['elite']} elites and {kinds['draft']} drafts of arm {arm}, "
                  f"seeds {wanted}", highlight=False)


def release(
    config: Path = typer.Argument(..., help="Release TOML (see experiments/release/redledger-bench.toml)."),
    out: Path = typer.Option(..., "--out", help="Directory of the release (written complete or not at all)."),
    force: bool = typer.Option(False, "--force", help="Replace an earlier release in --out."),
) -> None:
    """Build a versioned benchmark release: a World cut into train, validation and test periods, with
    baseline, draft and evolved laundering placed in it, its card, datasheet, croissant.json and manifest."""
    from experiments.release.config import load_release
    from experiments.release.pool import PoolError
    from experiments.release.release import build_release
    from orchestrator.engine import ConfigFileError
    from orchestrator.outdir import OutDirError

    try:
        cfg = load_release(config)
    except ConfigFileError as err:
        fail(str(err))
    t0 = time.monotonic()
    try:
        meta = build_release(cfg, config, out, force, progress=lambda m: console.print(f"  {m}", style="dim"))
    except (PoolError, OutDirError) as err:
        fail(str(err))
    console.print(f"wrote {out}: {meta['slug']}, {meta['transactions']:,} transactions, "
                  f"{meta['laundering_rows']:,} laundering, {len(meta['dropped'])} placements dropped, "
                  f"in {time.monotonic() - t0:.0f} s", highlight=False)


def release_baselines(
    release_dir: Path = typer.Argument(..., help="A release directory built by `redledger release`."),
    config: Path = typer.Option(..., "--config", help="The release's TOML (its [baselines] detectors)."),
    predictions: Path = typer.Option(
        ..., "--predictions", help="Directory for the detectors' predictions files (kept; reruns skip them)."
    ),
    only: str = typer.Option("", "--only", help="Comma-separated detectors to train (default: all); "
                             "detectors whose predictions files exist stay in the table."),
) -> None:
    """Train every detector of the config on the release's train period, score validation and test, and
    write the results table (results.json, the card) from `evaluate` on their predictions files."""
    from experiments.release.baselines import run_baselines
    from experiments.release.config import load_release
    from experiments.release.evaluate import ReleaseError
    from orchestrator.engine import ConfigFileError

    try:
        cfg = load_release(config)
    except ConfigFileError as err:
        fail(str(err))
    try:
        run_baselines(cfg, release_dir, predictions, lambda m: console.print(f"  {m}", style="dim"),
                      [x for x in only.split(",") if x] or None)
    except ReleaseError as err:
        fail(str(err))
    console.print(f"wrote {release_dir / 'results.json'} and the card's results table", highlight=False)


def evaluate(
    release_dir: Path = typer.Argument(..., help="A release directory built by `redledger release`."),
    predictions: Path = typer.Argument(..., help="CSV of tx_id,score (see the release's card)."),
    out: Path = typer.Option(None, "--out", help="Also write every figure as JSON here."),
    resamples: int = typer.Option(
        None, "--resamples", min=100, help="Bootstrap resamples (default: the release's)."
    ),
) -> None:
    """Score a detector's predictions on a release's test period: F1, PR-AUC, recall at alert budgets and
    net funds in cases with no alert, per subset and typology, with bootstrap intervals."""
    import json

    from experiments.release.evaluate import ReleaseError, load_truth
    from experiments.release.evaluate import evaluate as run_evaluate
    from experiments.release.predictions import PredictionError, read_predictions
    from experiments.release.report import print_evaluation
    from graph_schema.formats.atomic import write_text_atomic

    try:
        truth = load_truth(release_dir)
        scored = read_predictions(predictions, truth.slug, truth.digest, truth.test_ids, truth.val_ids)
    except (ReleaseError, PredictionError) as err:
        fail(str(err))
    res = run_evaluate(truth, scored, resamples=resamples)
    print_evaluation(res, truth.budgets, console)
    if out is not None:
        write_text_atomic(out, json.dumps(res, indent=1, sort_keys=True) + "\n")


def main() -> None:
    cli.main(extra=(experiment, sample, release_pool, release, release_baselines, evaluate))


__all__ = ["evaluate", "experiment", "main", "release", "release_baselines", "release_pool", "sample"]


if __name__ == "__main__":
    main()
