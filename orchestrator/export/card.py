"""The dataset card (README.md) and the SHA-256 manifest of an export."""

from __future__ import annotations

import hashlib
from collections import Counter
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from orchestrator.engine import funds_weighted
from orchestrator.export.content import RunContent


def code_version() -> str:
    """The package version (not the commit, so that a re-export is byte-identical)."""
    try:
        return version("redledger")
    except PackageNotFoundError:
        return "unknown"


def _money(entries) -> str:
    funds = [e.report.funds_integrated for e in entries]
    if not funds or sum(funds) == 0:
        return "-"
    return (f"{funds_weighted([e.report.evaded_value_share for e in entries], funds):.3f} / "
            f"{funds_weighted([e.report.case_evaded_share for e in entries], funds):.3f}")


def _median_funds(entries) -> str:
    return f"{np.median([e.report.funds_integrated for e in entries]):,.0f}" if entries else "-"


def _expert(entries) -> str:
    seen = [e.expert.verdict for e in entries if e.expert is not None]
    return f"{seen.count('realistic')} / {seen.count('unrealistic')} (of {len(entries)})"


def card(c: RunContent, fmt: str, files: list[str], command: str | None = None) -> str:
    led = c.world.ledger
    y = led.column("is_laundering").to_numpy(zero_copy_only=False)
    typ = Counter(e.scenario.primary_typology.value for e in c.entries)
    backends = {n: f"{b.kind}:{b.model}" for n, b in c.cfg.agents.backends.items()}
    roles = {r: getattr(c.cfg.agents, r).mode for r in ("planner", "critic", "adversary", "evolver", "judge")}
    ev = [e.report.evasion for e in c.entries]
    lines = [
        f"# redledger evolved dataset: {c.cfg.name} ({fmt})", "",
        "Synthetic transactions of a generated background economy, with laundering scenarios "
        "evolved by redledger's debating agents (planner, realism critic, detector adversary, "
        "evolver, judge) injected and labelled.", "",
        "## Statistics", "",
        "| | |", "|---|---|",
        f"| transactions | {led.num_rows:,} |",
        f"| laundering transactions | {int(y.sum()):,} ({y.mean():.4%}) |",
        f"| accounts | {c.world.n_accounts:,} |",
        f"| banks | {c.world.banks.num_rows} |",
        f"| scenarios | {len(c.entries)} |",
        f"| rounds of evolution | {c.rounds} |",
        (f"| mean evasion of the scenarios (at export) | {np.mean(ev):.3f} |" if ev
         else "| mean evasion | - |"),
        f"| funds-weighted undetected value: transactions / cases | {_money(c.entries)} |",
        f"| median funds integrated per scenario (USD) | {_median_funds(c.entries)} |",
        f"| tournament matches (of them expert pairs) | {len(c.matches)} "
        f"({sum(1 for m in c.matches if m['kind'] == 'human')}) |",
        f"| scenarios an expert reviewed: realistic / unrealistic | {_expert(c.entries)} |", "",
        "## Scenarios by primary typology", "", "| typology | scenarios |", "|---|---:|",
        *[f"| {t} | {n} |" for t, n in sorted(typ.items())], "",
        "## Provenance", "",
        f"- generation config hash: `{c.cfg.digest()}`",
        f"- seed: {c.cfg.seed}",
        f"- roles: {', '.join(f'{k}={v}' for k, v in roles.items())}",
        "- backends and models: "
        f"{', '.join(f'{k}={v}' for k, v in sorted(backends.items())) or 'none (procedural)'}"
        + (f"; models seen in calls: {', '.join(c.models)}" if c.models else ""),
        f"- detectors: {', '.join(c.cfg.detectors.names)}",
        f"- code version: redledger {code_version()}",
        f"- files: {', '.join(files)}", "",
        "## Intended use", "",
        "Measuring and improving anti-money-laundering detectors (e.g. GNNs on transaction graphs) "
        "on laundering that was evolved to be realistic and hard to detect; comparing detectors; "
        "training with harder positives. Labels: `Is Laundering` (AMLworld), `is_laundering`, "
        "`scenario_id`, `typology` and `role` (Parquet). In `scenarios.jsonl`, `expert` is an AML "
        "analyst's latest verdict (realistic or unrealistic, with the reason) from the run's expert "
        "review, or null; `preferences.jsonl` marks expert pairs with `source: human`.", "",
        "## Responsible use", "",
        "Everything here is synthetic: people, companies, banks and accounts are generated. "
        "Scenarios are transaction patterns at the level of public typology reports; their "
        "narratives are short and descriptive, never instructions. Do not use this data to plan "
        "or carry out financial crime, or to evade a real institution's controls.", "",
        *(_dgl_lines() if fmt == "dgl" else []),
        "## Reproduce", "",
        f"`{command or f'redledger export RUN_DIR --format {fmt} --out DIR'}` (same code version and machine "
        "type give identical bytes"
        + (", except `graph.bin`, whose content is identical: see above" if fmt == "dgl"
                                           else "")
                                        + "); verify the files with `sha256sum -c MANIFEST.sha256`.", "",
    ]
    return "\n".join(lines)


def _dgl_lines() -> list[str]:
    from orchestrator.export.formats import DGL_LOAD, DGL_LOAD_ELSEWHERE

    return [
        "## Loading the graph",
        "",
        "In redledger's environment (run it in this directory):",
        "",
        f'```\npython -c "{DGL_LOAD}; print(g)"\n```',
        "",
        "There a bare `import dgl` fails: DGL 2.1's GraphBolt does not load on the torch redledger pins, "
        f"and `detectors.graph_files` imports DGL without it. Where DGL imports: `{DGL_LOAD_ELSEWHERE}`.",
        "",
        "`dgl.save_graphs` leaves uninitialised bytes in the file's header, so the bytes of `graph.bin` "
        "differ between two exports of the same run (and so does its line in `MANIFEST.sha256`); its "
        "content does not. `content_sha256` in `graph.json` is `detectors.graph_files.content_digest` "
        "of the loaded graph and labels, the same for every export of the run.",
        "",
    ]


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks (release files run to gigabytes)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def manifest(out: Path) -> str:
    rows = []
    for p in sorted(out.rglob("*")):
        if p.is_file() and p.name != "MANIFEST.sha256":
            rows.append(f"{file_sha256(p)}  {p.relative_to(out).as_posix()}")
    return "\n".join(rows) + "\n"


__all__ = ["card", "code_version", "file_sha256", "manifest"]
