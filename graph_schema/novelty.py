"""Novelty of compiled scenarios: how far a money-flow graph is from the nearest baseline
template instance, and from the other scenarios of its set.

The measure is structural, over the compiled laundering rows (not the DSL text): the
accounts and their payments as a directed multigraph, described by Weisfeiler-Lehman
subtree features (`wl_features`): every account starts labelled by its capped in- and
out-degree, and each of ``h`` rounds relabels it by its label and the sorted labels of
whom it pays and who pays it. Two graphs are as far apart as one minus the cosine of their
label counts (`wl_distance`, 0 for the same structure, 1 for nothing in common). Typology
tags are compared apart (Jaccard distance), so that a draft that keeps a template's shape
under a new name is not called new. Labels are hashed with SHA-1, so features do not
depend on the process.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np

DEGREE_CAP = 4
ROUNDS = 2


def _h(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def wl_features(compiled, rounds: int = ROUNDS) -> Counter:
    """WL subtree label counts of a compiled scenario's laundering money-flow graph."""
    rows = compiled.rows
    keep = rows.column("is_laundering").to_numpy(zero_copy_only=False).astype(bool)
    src = rows.column("src_account").to_numpy()[keep]
    dst = rows.column("dst_account").to_numpy()[keep]
    outs, ins = defaultdict(list), defaultdict(list)
    for a, b in zip(src.tolist(), dst.tolist(), strict=True):
        outs[a].append(b)
        ins[b].append(a)
    nodes = sorted(set(outs) | set(ins))
    label = {v: f"{min(len(ins[v]), DEGREE_CAP)}.{min(len(outs[v]), DEGREE_CAP)}" for v in nodes}
    feats = Counter(f"0:{x}" for x in label.values())
    for r in range(1, rounds + 1):
        label = {v: _h(label[v] + ">" + ",".join(sorted(label[u] for u in outs[v]))
                       + "<" + ",".join(sorted(label[u] for u in ins[v]))) for v in nodes}
        feats.update(f"{r}:{x}" for x in label.values())
    return feats


def wl_distance(a: Counter, b: Counter) -> float:
    """One minus the cosine similarity of two WL label counts."""
    dot = sum(v * b.get(k, 0) for k, v in a.items())
    na, nb = np.sqrt(sum(v * v for v in a.values())), np.sqrt(sum(v * v for v in b.values()))
    if na == 0 or nb == 0:
        return 1.0 if na != nb else 0.0
    return float(max(0.0, 1.0 - dot / (na * nb)))


def tag_distance(a, b) -> float:
    """Jaccard distance of two typology tag sets."""
    a, b = {str(x) for x in a}, {str(x) for x in b}
    return 1.0 - len(a & b) / len(a | b) if a | b else 0.0


@dataclass(frozen=True)
class Novelty:
    """Novelty of a set of scenarios against reference (template) instances."""

    to_reference: list[float]  # per scenario: WL distance to the nearest reference instance
    tags_to_reference: list[float]  # per scenario: tag distance to that nearest instance
    pairwise: float  # mean WL distance between the set's scenarios
    n: int

    def summary(self, resamples: int = 1000, seed: int = 0) -> dict:
        """Means with 95% bootstrap intervals over the scenarios."""
        out = {"n": self.n, "pairwise": round(self.pairwise, 4)}
        rng = np.random.default_rng(seed)
        for key, xs in (("to_reference", self.to_reference), ("tags_to_reference", self.tags_to_reference)):
            x = np.asarray(xs, dtype=float)
            if not len(x):
                out[key] = None
                continue
            boots = x[rng.integers(0, len(x), (resamples, len(x)))].mean(axis=1)
            out[key] = {"mean": round(float(x.mean()), 4), "low": round(float(np.quantile(boots, 0.025)), 4),
                        "high": round(float(np.quantile(boots, 0.975)), 4)}
        return out


def novelty(compiled: list, reference: list) -> Novelty:
    """How far each compiled scenario is from its nearest ``reference`` instance, and from the
    other scenarios of ``compiled``."""
    ref = [(wl_features(c), c.scenario.typology) for c in reference]
    mine = [(wl_features(c), c.scenario.typology) for c in compiled]
    near, tags = [], []
    for f, t in mine:
        d = [wl_distance(f, g) for g, _ in ref]
        i = int(np.argmin(d)) if d else -1
        near.append(d[i] if d else 1.0)
        tags.append(tag_distance(t, ref[i][1]) if d else 1.0)
    pairs = [wl_distance(a[0], b[0]) for i, a in enumerate(mine) for b in mine[i + 1:]]
    return Novelty(near, tags, float(np.mean(pairs)) if pairs else 0.0, len(mine))


__all__ = ["Novelty", "novelty", "tag_distance", "wl_distance", "wl_features"]
