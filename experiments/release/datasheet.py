"""DATASHEET.md: the release answered against "Datasheets for Datasets" (Gebru et al.)."""

from __future__ import annotations

from experiments.release.config import ReleaseConfig
from experiments.release.docs import SUBSET_TEXT, realism_lines

USES = [
    "## Uses", "",
    "- **Intended:** measuring and comparing AML detectors; studying generalisation from known patterns "
    "to evolved and novel laundering; training with harder positives.",
    "- **To avoid:** drawing conclusions about real institutions' customers; estimating real laundering "
    "prevalence; using the scenarios as guidance for financial crime.", "",
    "## Responsible use", "",
    "Scenarios are transaction patterns at the level of public typology reports (FATF, FinCEN); their "
    "narratives are short descriptions, never operational instructions. Do not use this data to plan or "
    "carry out financial crime, or to evade a real institution's controls.", "",
]


def probe_lines(results: dict | None) -> list[str]:
    """What the amount probe of the results table says about the release (a leak check)."""
    probe = (results or {}).get("detectors", {}).get("probe:amount")
    if probe is None:
        return ["- Leak check: not run yet (`redledger release-baselines` scores the amount probe)."]
    g = probe["groups"]

    def pr(name: str) -> str:
        e = g[name]["pr_auc"]
        return f"{100 * e['value']:.1f} [{100 * e['low']:.1f}, {100 * e['high']:.1f}]"

    subsets = ", ".join(f"{k.split(':')[1]} {pr(k)}" for k in g if k.startswith("subset:"))
    return [f"- Leak check: the transaction's amount alone, used as a score, reaches a PR-AUC of {pr('all')} "
            f"on all test laundering ({subsets}); compare each detector with it in the results table."]


def datasheet(cfg: ReleaseConfig, counts: dict, provenance: dict, results: dict | None = None) -> str:
    w = cfg.world
    days = dict(zip(("train", "validation", "test"), cfg.split_days, strict=True))
    return "\n".join([
        f"# Datasheet: {cfg.slug} (version {cfg.version})", "",
        "## Motivation", "",
        "- **Why was it created?** Public synthetic AML data (AMLSim, IBM's AMLworld) injects a fixed set of "
        "laundering patterns that graph detectors learn to catch easily (AMLworld's fan-out at about 95% "
        "recall). Real launderers adapt. This release measures how detectors cope with laundering that "
        "debating, evolving agents designed to be both realistic and hard to detect, and in particular with "
        "evolved laundering from search runs the training periods never saw.",
        "- **Who created it?** The redledger project, with its own code (`redledger release`).", "",
        "## Composition", "",
        f"- **Instances:** {counts['transactions']:,} transactions (directed, timestamped, with amounts, "
        f"currencies and payment format) between {counts['accounts']:,} accounts at {w.banks} banks over "
        f"{w.days} days from {w.start.isoformat()}; {counts['laundering_rows']:,} are laundering.",
        f"- **Periods:** train {days['train']} days, validation {days['validation']}, test {days['test']}; "
        "cut by time, as a detector meets data.",
        "- **Laundering subsets:** " + "; ".join(f"`{k}`: {v}" for k, v in SUBSET_TEXT.items()) + ".",
        f"- **Evolution seeds:** training periods hold the drafts and elites of seeds {cfg.train_seeds}; the "
        f"test period those of seeds {cfg.test_seeds} only.",
        "- **Background economy:** persons and businesses with behavioural profiles (salaries, rent, card "
        "spending, peer-to-peer, business-to-business, cash, remittances, crypto) and legitimate typologies "
        "that look like laundering (payroll fan-out, supplier fan-in, intra-group sweeps and loan cycles, "
        "property and trade payments, remittance chains, cash-intensive businesses, account openings).",
        "- **Confidential or personal data:** none. Every person, company, bank and account is generated; "
        "names are invented.", "",
        "## Collection process", "",
        "- The World is simulated from the config in `release.json` (seeded; sharded generation).",
        "- Baseline laundering is sampled from redledger's typology templates. Drafts and elites come from "
        "an effect experiment (`redledger experiment`): a criminal planner drafts scenarios in a typed DSL, "
        "a realism critic and a detector adversary argue against each, an evolver mutates the survivors, "
        "and an Elo tournament with a quality-diversity archive keeps the elites.",
        "- Each scenario is compiled into transactions inside one period, at accounts and times drawn for "
        "that placement; a scenario placed twice is two scenarios with their own ids.", "",
        "## Labels", "",
        "- `is_laundering` = 1: the transaction moves the scenario's illicit funds (placement, layering, "
        "integration). Camouflage, ordinary payments of an involved account from its own legitimate money, "
        "is 0 with `role` = camouflage, as AMLworld labels only illicit flows.",
        "- Labels are exact by construction; there is no label noise and no unlabelled laundering.", "",
        "## Known biases and leaks", "",
        *realism_lines(cfg.effect_results),
        *probe_lines(results),
        "- The World is a simulation: its economy is simpler than a bank's, its hard negatives are the "
        "legitimate typologies listed above, and amounts follow the generator's distributions.",
        "- Evolved scenarios were selected against specific detectors (the loop's GINe and a realism "
        "discriminator) in another World; they may be harder for similar architectures than for others.",
        "- Scenario horizons were capped to fit the test period, so slow, long-horizon laundering is absent.",
        "- The laundering share is set by the config, not observed; base rates in real banks differ.", "",
        *USES,
        "## Distribution and maintenance", "",
        f"- Licence: {cfg.license}. Version {cfg.version}; a change to the data changes the version.",
        "- The large files are rebuilt by one command from the committed config and scenario pool: "
        f"`redledger release {provenance['config']} --out DIR`; `MANIFEST.sha256` verifies them.", "",
    ])


__all__ = ["datasheet"]
