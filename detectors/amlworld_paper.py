"""Published AMLworld figures, quoted beside redledger's benchmark (never re-measured here).

Source: Altman, Blanuša, von Niederhäusern, Egressy, Anghel, Atasu, "Realistic Synthetic
Financial Transactions for Anti-Money Laundering Models", NeurIPS 2023 Datasets and
Benchmarks (arXiv:2306.16424). HI-Small: about 5M transactions, laundering about 0.1%.
Only the figures below are quoted; they are minority-class (laundering) F1 in percent on
HI-Small's test period, and per-pattern recall of the best model.
"""

from __future__ import annotations

SOURCE = "Altman et al., NeurIPS 2023 (arXiv:2306.16424), HI-Small"

# our detector -> (the paper's model, its minority-class F1 in percent on HI-Small)
F1_HI_SMALL: dict[str, tuple[str, float]] = {
    "gine": ("GIN", 28.7),
    "multi-gine": ("Multi-GIN+EU", 64.8),
    "lightgbm": ("LightGBM + graph features", 62.9),
}

# our typology -> (the paper's pattern, recall in percent)
PATTERN_RECALL: dict[str, tuple[str, float]] = {
    "fan_out": ("fan-out", 95.4),
    "lone_illicit": ("lone (isolated) laundering transactions", 1.35),
}


def markdown(detectors: list[str], per_typology: dict[str, dict[str, dict]]) -> list[str]:
    """The paper's figures beside ours: overall F1 per detector, and the quoted pattern recalls."""
    lines = ["", f"## Beside AMLworld ({SOURCE}; quoted from the paper, not re-measured)", "",
             "| our detector | the paper's model | its F1 on HI-Small |", "|---|---|---:|"]
    for d in detectors:
        if d in F1_HI_SMALL:
            model, f1 = F1_HI_SMALL[d]
            lines.append(f"| {d} | {model} | {f1 / 100:.3f} |")
    lines += ["", "| our typology | the paper's pattern | its recall | ours (per detector) |",
              "|---|---|---:|---|"]
    for t, (pattern, recall) in PATTERN_RECALL.items():
        ours = ", ".join(f"{d} {m[t]['recall']:.2f}" for d, m in per_typology.items() if t in m)
        ours = ours or "no test positives"
        lines.append(f"| {t} | {pattern} | {recall / 100:.3f} | {ours} |")
    return lines


__all__ = ["F1_HI_SMALL", "PATTERN_RECALL", "SOURCE", "markdown"]
