"""The documents that ship with a release: the dataset card (README.md, with the Hugging Face
YAML header) and the datasheet (DATASHEET.md, after Gebru et al.'s questions)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from experiments.release.config import SPLITS, ReleaseConfig
from experiments.release.files import COLUMNS, SUBSETS

SIZES = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
         (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M")]
SUBSET_TEXT = {
    "baseline": "library typology templates (the fixed patterns of AMLSim/AMLworld-style generators)",
    "drafts": "first drafts of the criminal planner, before any debate or evolution",
    "elites": "evolved archive elites of the training seeds",
    "novel": "evolved archive elites of seeds whose scenarios appear in no training period",
}


def _hf_dtype(t: pa.DataType) -> str:
    if pa.types.is_boolean(t):
        return "bool"
    if pa.types.is_timestamp(t):
        return f"timestamp[{t.unit}]"
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "string"
    return {"double": "float64", "float": "float32"}.get(str(t), str(t))


def _yaml(cfg: ReleaseConfig, out: Path, counts: dict) -> list[str]:
    total = counts["transactions"]
    size = next(label for limit, label in SIZES if total < limit)
    schema = pq.read_schema(out / "data" / "train.parquet")
    lines = ["---", f"license: {cfg.license}", f"pretty_name: {cfg.slug}", "task_categories:",
             "- tabular-classification", "- graph-ml", "tags:", "- anti-money-laundering", "- synthetic",
             "- transaction-graph", "- benchmark", "size_categories:", f"- {size}", "configs:",
             "- config_name: default", "  data_files:"]
    lines += [f"  - split: {s}\n    path: data/{s}.parquet" for s in SPLITS]
    lines += ["dataset_info:", "  features:"]
    lines += [f"  - name: {f.name}\n    dtype: {_hf_dtype(f.type)}" for f in schema]
    lines += ["  splits:"]
    lines += [f"  - name: {s}\n    num_examples: {counts['splits'][s]['rows']}" for s in SPLITS]
    return [*lines, "---", ""]


def _split_table(counts: dict) -> list[str]:
    rows = ["| period | transactions | laundering | share | " + " | ".join(f"{s} scenarios" for s in SUBSETS)
            + " |", "|---|---:|---:|---:|" + "---:|" * len(SUBSETS)]
    for s in SPLITS:
        c = counts["splits"][s]
        rows.append(f"| {s} | {c['rows']:,} | {c['laundering_rows']:,} | "
                    f"{100 * c['laundering_rows'] / max(c['rows'], 1):.3f}% | "
                    + " | ".join(f"{c['scenarios_by_subset'][x]:,}" for x in SUBSETS) + " |")
    return rows


def results_table(results: dict | None) -> list[str]:
    """The release's results table (from `redledger release-baselines`), or a line saying how to make it."""
    if not results:
        return ["No results table yet: `redledger release-baselines DIR` trains the detector zoo on the "
                "train "
                "period and scores each with `redledger evaluate`."]
    budgets = results["budgets"]
    head = ("| detector | test subset | n | F1 | PR-AUC | "
            + " | ".join(f"recall @{100 * b:g}%" for b in budgets) + " | "
            + " | ".join(f"funds no alert @{100 * b:g}%" for b in budgets) + " |")
    rows = [head, "|---|---|---:|" + "---:|" * (2 + 2 * len(budgets))]

    def f(e: dict) -> str:
        lo = "" if e["low"] != e["low"] else f" [{100 * e['low']:.1f}, {100 * e['high']:.1f}]"
        return f"{100 * e['value']:.1f}{lo}"

    for det, res in sorted(results["detectors"].items()):  # one order, fresh or read back
        for group in ("all", "subset:baseline", "subset:drafts", "subset:novel"):
            g = res["groups"].get(group)
            if g is None:
                continue
            cells = [f(g["f1"]), f(g["pr_auc"])] + [f(g[f"recall@{b:g}"]) for b in budgets]
            cells += [f(g[f"unalerted_funds@{b:g}"]) for b in budgets]
            rows.append(f"| {det} | {group.split(':')[-1]} | {g['scenarios']} | " + " | ".join(cells) + " |")
    return [*rows, "", "Figures in %, with 95% bootstrap intervals over the subset's test scenarios (n). "
            + results.get("note", "")]


def summary(cfg: ReleaseConfig, counts: dict) -> str:
    """The release in one paragraph: the card's first and croissant.json's description."""
    return ("A benchmark for anti-money-laundering detectors (GNNs on transaction graphs, boosted trees, "
            f"rules): {counts['transactions']:,} synthetic transactions between {counts['accounts']:,} "
            f"accounts over {cfg.world.days} days, {counts['laundering_rows']:,} of them laundering "
            f"({100 * counts['laundering_rows'] / counts['transactions']:.3f}%), cut by time into train, "
            "validation and test periods. Its question: how well does a detector trained on known patterns "
            "and on evolved laundering of some seeds catch evolved laundering it has never seen?")


def card(cfg: ReleaseConfig, out: Path, counts: dict, provenance: dict, results: dict | None) -> str:
    lines = _yaml(cfg, out, counts) + [
        f"# {cfg.slug}: evolved money laundering in a synthetic transaction World", "",
        summary(cfg, counts), "",
        "## Periods and subsets", "",
        *_split_table(counts), "",
        *[f"- **{k}**: {v}." for k, v in SUBSET_TEXT.items()],
        "- Every scenario lies wholly inside one period; the test period holds the subsets `baseline`, "
        "`drafts` and `novel`. Drafts and novel elites in test come from the test seeds only.",
        f"- Scenarios that did not fit their period: {len(counts['dropped'])} (listed in release.json).", "",
        "## Files", "",
        "- `data/{train,validation,test}.parquet`: transactions, columns below;",
        "- `accounts.parquet`; `scenarios.jsonl` (one record per placed scenario: placement and source ids, "
        "subset, period, evolution seed, typology, funds, its rows' `tx_ids`, lineage and DSL);",
        f"- `amlworld/{cfg.world.name}_Trans.csv`, `_accounts.csv`, `_Patterns.txt`: the whole World in IBM "
        "AMLworld's format (IBM's Multi-GNN reads it unchanged; row k is `tx_id` k);",
        "- `release.json` (counts, period cut times, provenance), `croissant.json`, `DATASHEET.md`, "
        "`MANIFEST.sha256`.", "",
        "| column | meaning |", "|---|---|", *[f"| `{k}` | {v} |" for k, v in COLUMNS.items()], "",
        "Load: `datasets.load_dataset(\"parquet\", data_dir=DIR)` gives the three splits; "
        "`pandas.read_parquet(DIR + \"/data/test.parquet\")` one period.", "",
        "## Evaluation", "",
        "Score every test transaction (optionally every validation transaction too, which sets the F1 "
        "threshold) and write `tx_id,score` lines under a `tx_id,score` header, optionally after a first "
        f"line `# release: {counts['slug']} {counts['data_digest']}` (then a file written for another "
        "release is refused); then `redledger evaluate DIR PREDICTIONS`. It reports minority-class F1, "
        "PR-AUC, recall at alert budgets "
        + ", ".join(f"{100 * b:g}%" for b in cfg.budgets) + " of test transactions, and net funds in cases "
        "with no alert, per subset and typology, with bootstrap intervals over scenarios.", "",
        "## Results", "", *results_table(results), "",
        "## Label semantics", "",
        "`is_laundering` is 1 for a transaction that moves funds of a laundering scenario. Camouflage "
        "(ordinary payments an involved account makes from its own legitimate money) is labelled 0, with "
        "`role` = camouflage and its `scenario_id` kept, as AMLworld labels only illicit flows. See "
        "DATASHEET.md for composition, biases, known leaks and uses to avoid.", "",
        "## Provenance", "",
        *[f"- {k}: `{v}`" for k, v in provenance.items()], "",
        f"Rebuild: `redledger release {provenance['config']} --out DIR` gives these bytes again "
        "(`sha256sum -c MANIFEST.sha256`).", "",
        "## Responsible use", "",
        "Everything is synthetic: people, companies, banks and accounts are generated and their names are "
        "invented. Scenarios are transaction patterns at the level of public typology reports; narratives "
        "are short descriptions, never instructions. Do not use this data to plan or carry out financial "
        "crime or "
        "to evade a real institution's controls.", "",
    ]
    return "\n".join(lines)


def realism_lines(effect_results: Path | None) -> list[str]:
    """The measured realism of the pool's experiment (C2ST), if its results file is given."""
    if effect_results is None or not effect_results.is_file():
        return ["- The realism of the scenarios has not been measured for this release."]
    real = json.loads(effect_results.read_text()).get("realism", {})
    out = []
    for group in ("baseline", "full"):
        r = real.get(group)
        if r:
            out.append(f"- Classifier two-sample test ({group}): AUC {r['auc']['value']:.3f} "
                       f"[{r['auc']['low']:.3f}, {r['auc']['high']:.3f}] separating scenario accounts from "
                       f"matched legitimate accounts; a single rule, `{r['leak_rule']}`, reaches "
                       f"{r['leak_auc']['value']:.3f}.")
    return out or ["- The pool's experiment recorded no realism figures."]


__all__ = ["card", "realism_lines", "results_table", "summary"]
