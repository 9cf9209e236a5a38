"""The quality-diversity archive (MAP-Elites, as in Rainbow Teaming).

A cell is a tuple of descriptor values (default: typology family x complexity bin x
volume band, the log bin of funds integrated). Each cell holds one elite; a candidate
takes a cell only by winning the judge's match against its incumbent (an empty cell is
taken outright), so large and small operations never compete for one cell, and a family
once in the archive stays in it. A novelty filter turns away near-duplicates of existing
elites. Diversity is measured as the entropy of the elites' typologies and their mean
pairwise structural distance.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from agents.models import EvasionReport, Review
from graph_schema.dsl import Scenario
from graph_schema.enums import Channel, Typology
from graph_schema.families import FAMILY, FAMILY_OF
from orchestrator.engine.config import ArchiveConfig

CHANNELS = [c.value for c in Channel]


class AddStatus(StrEnum):
    """What happened to a candidate offered to the archive."""

    NEW_CELL = "new_cell"
    REPLACED = "replaced"
    KEPT_INCUMBENT = "kept_incumbent"
    NEAR_DUPLICATE = "near_duplicate"
    REJECTED = "rejected"  # not accepted by the critic, or marked unrealistic by an expert
    FILTERED = "filtered"  # dropped by the contrastive filter: not even the reference ensemble catches it


@dataclass(frozen=True)
class Elite:
    scenario_id: str
    quality: float
    evasion: float
    realism: float
    signature: tuple[float, ...]
    typology: str = ""
    funds: float = 0.0  # integrated, US dollars
    value_evasion: float = 0.0
    case_evasion: float = 0.0


def signature(s: Scenario) -> tuple[float, ...]:
    """A structural fingerprint in [0, 1]^d for the novelty filter."""
    real = [t for t in s.transfers if t.purpose.value != "camouflage"]
    outs, ins = Counter(t.src for t in real), Counter(t.dst for t in real)
    ch = Counter(t.channel.value for t in s.transfers)
    n_t = max(len(s.transfers), 1)
    return tuple([
        min(len(s.entities) / 40, 1), min(len(s.transfers) / 40, 1),
        sum(e.recruit.mode == "hijack" for e in s.entities) / max(len(s.entities), 1),
        min(max(outs.values(), default=0) / 20, 1), min(max(ins.values(), default=0) / 20, 1),
        sum(t.amount.kind == "split" for t in s.transfers) / n_t,
        sum(t.purpose.value == "camouflage" for t in s.transfers) / n_t,
        min(float(np.log1p(np.mean([t.timing.delay.high for t in s.transfers]))) / 6, 1),
        len({e.jurisdiction for e in s.entities}) / max(len(s.entities), 1),
        *[ch[c] / n_t for c in CHANNELS],
        *[1.0 if t in s.typology else 0.0 for t in (Typology.FAN_IN, Typology.FAN_OUT, Typology.CYCLE,
                                                   Typology.STRUCTURING, Typology.SHELL_LAYERING)],
    ])


def distance(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    return float(np.mean(np.abs(np.array(a) - np.array(b))))


def _bin(x: float, edges: list[float]) -> int:
    return int(np.searchsorted(np.asarray(edges), x, side="left"))


def volume_band(funds_usd: float, bins: list[float]) -> str:
    """The volume band ``v<k>`` of an amount integrated: the log bin it falls in."""
    return f"v{_bin(funds_usd, bins)}"


def entropy(labels: list[str]) -> float:
    """Shannon entropy (bits) of the labels' distribution; 0 for none or one kind."""
    if not labels:
        return 0.0
    p = np.array(list(Counter(labels).values()), dtype=float) / len(labels)
    return float(-(p * np.log2(p)).sum())


def funds_weighted(values: list[float], funds: list[float]) -> float:
    """The funds-weighted mean of per-scenario values (0 for no funds)."""
    w = np.asarray(funds, dtype=float)
    return float((np.asarray(values) * w).sum() / w.sum()) if w.sum() > 0 else 0.0


@dataclass
class Archive:
    """Cells -> elites. ``quality`` is the judge utility of the elite."""

    cfg: ArchiveConfig
    cells: dict[str, Elite] = field(default_factory=dict)

    def cell_of(self, s: Scenario, report: EvasionReport) -> str:
        parts = []
        for d in self.cfg.descriptors:
            if d == "family":
                parts.append(FAMILY_OF[s.primary_typology])
            elif d == "typology":
                parts.append(s.primary_typology.value)
            elif d == "complexity":
                parts.append(f"c{_bin(len(s.transfers), self.cfg.complexity_bins)}")
            elif d == "volume":
                parts.append(self.band_of(report))
            elif d == "evasion":
                parts.append(f"e{_bin(report.evasion, self.cfg.evasion_bins)}")
            else:
                parts.append(Counter(t.channel.value for t in s.transfers).most_common(1)[0][0])
        return SEP.join(parts)

    def band_of(self, report: EvasionReport) -> str:
        """The volume band of a scenario: ``v<k>``, the log bin of its funds integrated."""
        return volume_band(report.funds_integrated, self.cfg.volume_bins)

    @property
    def n_cells(self) -> int:
        sizes = {"family": len(FAMILY), "typology": len(Typology), "channel": len(CHANNELS),
                 "complexity": len(self.cfg.complexity_bins) + 1, "evasion": len(self.cfg.evasion_bins) + 1,
                 "volume": len(self.cfg.volume_bins) + 1}
        return int(np.prod([sizes[d] for d in self.cfg.descriptors]))

    @property
    def coverage(self) -> float:
        return len(self.cells) / self.n_cells

    @property
    def qd_score(self) -> float:
        return float(sum(e.quality for e in self.cells.values()))

    def near_duplicate(self, sig: tuple[float, ...], exclude: str | None = None) -> str | None:
        """Id of an elite closer than the novelty threshold, if any."""
        for e in self.cells.values():
            if e.scenario_id != exclude and distance(sig, e.signature) < self.cfg.novelty_threshold:
                return e.scenario_id
        return None

    def place(self, cell: str, s: Scenario, review: Review, report: EvasionReport, quality: float) -> None:
        self.cells[cell] = Elite(s.uid, quality, report.evasion, review.realism, signature(s),
                                 s.primary_typology.value, report.funds_integrated,
                                 report.evaded_value_share, report.case_evaded_share)

    def diversity(self) -> dict:
        """Families present, typology entropy (bits), mean pairwise structural distance,
        funds-weighted value and case evasion, and the median funds integrated (USD)."""
        es = list(self.cells.values())
        sigs = [e.signature for e in es]
        pairs = [distance(a, b) for i, a in enumerate(sigs) for b in sigs[i + 1:]]
        funds = [e.funds for e in es]
        return {"families": len({FAMILY_OF[Typology(e.typology)] for e in es}),
                "typology_entropy": round(entropy([e.typology for e in es]), 6),
                "structural_distance": round(float(np.mean(pairs)) if pairs else 0.0, 6),
                "value_evasion": round(funds_weighted([e.value_evasion for e in es], funds), 6),
                "case_evasion": round(funds_weighted([e.case_evasion for e in es], funds), 6),
                "median_funds": round(float(np.median(funds)) if funds else 0.0, 2)}

    def elites(self) -> list[str]:
        return [self.cells[c].scenario_id for c in sorted(self.cells)]

    def remove(self, sid: str) -> list[str]:
        """Take scenario ``sid`` out of the archive; returns the cells it held."""
        cells = [c for c, e in self.cells.items() if e.scenario_id == sid]
        for c in cells:
            del self.cells[c]
        return cells



SEP = "|"  # joins a cell's descriptor values into its key, e.g. 'fan|c1|v2'


@dataclass
class CellGrid:
    """Archive cells laid out as a table: the first ``down`` descriptors name a row, the
    others a column ('' when every descriptor is down)."""

    rows: list[str]
    cols: list[str]
    at: dict[tuple[int, int], dict]  # (row index, column index) -> the cell's row as stored


def cell_grid(cells: list[dict], down: int = 1) -> CellGrid:
    """The grid of archive ``cells`` (dicts with a ``cell`` key), sorted rows and columns."""
    keys = [c["cell"].split(SEP) for c in cells]
    rows = sorted({SEP.join(k[:down]) for k in keys})
    cols = sorted({SEP.join(k[down:]) for k in keys})
    at = {(rows.index(SEP.join(k[:down])), cols.index(SEP.join(k[down:]))): c
          for k, c in zip(keys, cells, strict=True)}
    return CellGrid(rows, cols, at)


__all__ = [
    "SEP",
    "CellGrid",
    "cell_grid",
    "FAMILY",
    "FAMILY_OF",
    "AddStatus",
    "Archive",
    "Elite",
    "distance",
    "entropy",
    "funds_weighted",
    "signature",
    "volume_band",
]
