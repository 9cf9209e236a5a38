"""The README's Results section, regenerated from committed `results.json` files."""

from __future__ import annotations

from pathlib import Path

from experiments.effect.report import e2_table, e3_table, fmt, headline, realism_table
from experiments.effect.report_headline import net_funds_against_full, net_funds_arms, net_funds_section
from experiments.effect.report_llm import llm_table
from experiments.effect.report_probes import probes_table
from graph_schema.formats.atomic import write_text_atomic

BEGIN, END = (
    "<!-- results: generated from {path} by experiments.effect.readme; do not edit -->",
    "<!-- /results -->",
)


def readme_block(res: dict, path: str) -> str:
    """The README's Results tables, generated from ``results.json`` (so they always agree): an
    effect analysis's, or a benchmark release's results table (`redledger release-baselines`)."""
    if "arms" not in res:
        from experiments.release.docs import results_table

        return "\n".join([BEGIN.format(path=path), "", *results_table(res), END])
    e4 = res["e4"]
    lines = [
        BEGIN.format(path=path),
        "",
        f"World A {res['worlds']['A']['transactions']:,} and World B {res['worlds']['B']['transactions']:,} "
        f"transactions; arms {', '.join(res['arms'])}; evolution seeds {', '.join(map(str, res['seeds']))}; "
        f"figures in %, 95% bootstrap intervals over scenarios, n = scenarios.",
        "",
        "**Headline: net funds in cases with no alert, funds-matched** (World B):",
        "",
        *net_funds_section(res),
        "**E1, hardness in World B** (money-weighted recall; the loop played against "
        f"{', '.join(res['loop_detectors'])} in World A):",
        "",
        *headline(res),
        "**E2, training utility** (retrained on B plus one seed's elites):",
        "",
        *e2_table(res),
        "**E3, ablations**:",
        "",
        *net_funds_arms(res),
        *net_funds_against_full(res),
        *e3_table(res),
        *llm_table(res),
        "**Realism** (C2ST AUC, 0.5 = indistinguishable):",
        "",
        *realism_table(res),
        *probes_table(res),
    ]
    if e4.get("spearman"):
        lines += [f"**E4**: Spearman of {e4['measure']}: {fmt(e4['spearman'], False)} (n={e4['n']}).", ""]
    return "\n".join([*lines, END])


def update_readme(results: Path, readme: Path) -> None:
    """Replace the generated block of ``readme`` that names ``results`` with its tables (a
    README may hold one block per experiment, e.g. effect-small and effect-medium).

    Raises:
        ValueError: ``readme`` has no block generated from ``results``.
    """
    import json

    text = readme.read_text(encoding="utf-8")
    head = BEGIN.format(path=results.as_posix())
    if head not in text:
        raise ValueError(f"{readme}: no block begins with {head!r}; add one where the tables belong")
    start = text.index(head)
    end = text.index(END, start) + len(END)
    block = readme_block(json.loads(results.read_text()), results.as_posix())
    write_text_atomic(readme, text[:start] + block + text[end:])


__all__ = ["readme_block", "update_readme"]


if __name__ == "__main__":  # python -m experiments.effect.readme RESULTS.json README.md
    import sys

    update_readme(Path(sys.argv[1]), Path(sys.argv[2]))
