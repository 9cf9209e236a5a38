"""The registry of named mutation operators on the DSL.

An operator takes a scenario document (``Scenario.model_dump(mode="json")``), a random
generator and an `OpContext` (what the adversary flagged, what the critic said), and
returns a new document or ``None`` when it does not apply. Documents are plain data, so
operators never execute anything; the evolver validates and compiles every child.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from agents.models import EvasionReport, Review
from graph_schema.compiler.blend import KIND_PROFILE
from graph_schema.dsl import PARTED
from graph_schema.enums import EntityKind

Doc = dict
OPERATORS: dict[str, Callable[[Doc, np.random.Generator, OpContext], Doc | None]] = {}
# the usual profile of a customer kind (the one a new account of that kind is opened as)
_HIJACK_PROFILE = {k.value: KIND_PROFILE[k].value for k in (EntityKind.PERSON, EntityKind.BUSINESS,
                                                           EntityKind.SHELL_COMPANY)}
_OFFICE = ["ACH", "Wire", "Cheque"]


@dataclass
class OpContext:
    """What steers an operator: flagged transfers first, then the critic's objections."""

    report: EvasionReport | None = None
    review: Review | None = None
    max_days: float = 365.0
    flagged: list[str] = field(default_factory=list)

    def __post_init__(self):
        if self.report is not None and not self.flagged:
            self.flagged = self.report.flagged_transfers


def operator(name: str):
    def deco(fn):
        OPERATORS[name] = fn
        return fn
    return deco


# ---------------------------------------------------------------- helpers


def _fresh(taken: set[str], prefix: str) -> str:
    i = 0
    while f"{prefix}{i}" in taken:
        i += 1
    taken.add(f"{prefix}{i}")
    return f"{prefix}{i}"


def _ids(doc: Doc) -> set[str]:
    return {e["id"] for e in doc["entities"]} | {t["id"] for t in doc["transfers"]}


def _real(doc: Doc) -> list[dict]:
    """Transfers that move the illicit funds (not camouflage)."""
    return [t for t in doc["transfers"] if t.get("purpose") != "camouflage"]


def _pick_transfer(doc: Doc, rng, ctx: OpContext, want=None) -> dict | None:
    """A flagged transfer if one qualifies, else any qualifying one."""
    pool = [t for t in _real(doc) if want is None or want(t)]
    if not pool:
        return None
    flagged = [t for t in pool if t["id"] in ctx.flagged]
    pool = flagged or pool
    return pool[int(rng.integers(len(pool)))]


def _entity(doc: Doc, eid: str) -> dict:
    return next(e for e in doc["entities"] if e["id"] == eid)


def _delay(t: dict) -> dict:
    timing = t.setdefault("timing", {})
    return timing.setdefault("delay", {"dist": "uniform", "low": 0.0, "high": 24.0})


def _upper(amount: dict, doc: Doc) -> float:
    """The largest total an amount spec can come to (fractions: of all funds placed)."""
    kind = amount["kind"]
    return {"fixed": lambda: amount["value"], "range": lambda: amount["high"],
            "fraction": lambda: amount["fraction"] * doc["funds_placed"]}[kind]()


def _total(amount: dict) -> dict:
    """The total an amount spec moves, as a fixed, range or fraction spec (a split or mimic
    amount's ``total``)."""
    return amount["total"] if amount["kind"] in PARTED else amount


def _stretch_horizon(doc: Doc, extra_h: float, ctx: OpContext) -> None:
    doc["horizon_days"] = float(min(ctx.max_days, doc["horizon_days"] + extra_h / 24))


# ---------------------------------------------------------------- operators


@operator("split_structured")
def split_structured(doc: Doc, rng, ctx: OpContext) -> Doc | None:
    """Split a (flagged) transfer into several deposits under a reporting-style threshold."""
    t = _pick_transfer(doc, rng, ctx, lambda t: t["amount"]["kind"] != "split" or t["amount"]["parts"] < 50)
    if t is None:
        return None
    a = t["amount"]
    if a["kind"] == "split":
        a["parts"] = min(100, a["parts"] * 2)
    else:
        a = a["total"] if a["kind"] == "mimic" else a  # a mimic amount's total is split instead
        under = float(rng.choice([9000.0, 9500.0, 9900.0, 4900.0]))
        need = int(np.ceil(_upper(a, doc) / under)) + 1  # enough parts for the largest possible total
        t["amount"] = {"kind": "split", "total": a, "under": under,
                       "parts": int(np.clip(max(need, rng.integers(3, 9)), 2, 100))}
    t["timing"]["every"] = {"dist": "uniform", "low": 2.0, "high": float(rng.uniform(8, 30))}
    return doc


@operator("insert_hop")
def insert_hop(doc: Doc, rng, ctx: OpContext) -> Doc | None:
    """Route a (flagged) transfer through a new intermediary that keeps a small cut."""
    t = _pick_transfer(doc, rng, ctx, lambda t: t["src"] != t["dst"])
    if t is None:
        return None
    taken = _ids(doc)
    dst = _entity(doc, t["dst"])
    kind = "person" if rng.random() < 0.6 else "business"
    hop = {"id": _fresh(taken, "hop_"), "kind": kind, "role": "layer", "jurisdiction": dst["jurisdiction"]}
    if rng.random() < 0.7:
        hop["recruit"] = {"mode": "hijack", "profile": _HIJACK_PROFILE[kind]}
    doc["entities"].append(hop)
    fwd_id = _fresh(taken, f"{t['id']}_fwd_")[:40]
    for other in doc["transfers"]:  # whoever waited for t now waits for the forward leg
        after = other.get("timing", {}).get("after", [])
        other.get("timing", {})["after"] = [fwd_id if a == t["id"] else a for a in after]
    fwd = {"id": fwd_id, "src": hop["id"], "dst": t["dst"], "channel": t.get("channel", "Wire"),
           "amount": {"kind": "fraction", "fraction": round(float(rng.uniform(0.97, 0.995)), 4)},
           "timing": {"after": [t["id"]], "delay": {"dist": "uniform", "low": 2.0,
                                                    "high": float(rng.uniform(12, 60))}}}
    t["dst"] = hop["id"]
    doc["transfers"].append(fwd)
    _stretch_horizon(doc, 60, ctx)
    return doc


@operator("add_delay")
def add_delay(doc: Doc, rng, ctx: OpContext) -> Doc | None:
    """Add delay and jitter (a lognormal wait) before flagged transfers."""
    picked = [t for t in _real(doc) if t["id"] in ctx.flagged] or _real(doc)
    chosen = [picked[i] for i in rng.choice(len(picked), size=min(3, len(picked)), replace=False)]
    extra = float(rng.uniform(6, 48))
    for t in chosen:
        d = _delay(t)
        t["timing"]["delay"] = {"dist": "lognormal", "low": float(d.get("low", 0.0)) + extra / 4,
                                "high": float(d.get("high", 24.0)) + extra}
    _stretch_horizon(doc, 3 * extra, ctx)
    return doc


@operator("change_channel")
def change_channel(doc: Doc, rng, ctx: OpContext) -> Doc | None:
    """Move a (flagged) transfer to another ordinary payment format."""
    t = _pick_transfer(doc, rng, ctx, lambda t: t.get("channel", "Wire") in _OFFICE + ["Credit Card"]
                       and not t.get("usual_channel"))  # the compiler draws that one's channel
    if t is None:
        return None
    options = [c for c in _OFFICE if c != t.get("channel", "Wire")]
    t["channel"] = options[int(rng.integers(len(options)))]
    return doc


@operator("recruit_hijacked")
def recruit_hijacked(doc: Doc, rng, ctx: OpContext) -> Doc | None:
    """Replace a newly opened account by a hijacked background account (a mule)."""
    touched = {e for t in doc["transfers"] if t["id"] in ctx.flagged for e in (t["src"], t["dst"])}
    pool = [e for e in doc["entities"] if e["kind"] in _HIJACK_PROFILE
            and e.get("recruit", {"mode": "new"})["mode"] == "new"]
    if not pool:
        return None
    pool = [e for e in pool if e["id"] in touched] or pool
    e = pool[int(rng.integers(len(pool)))]
    profile = _HIJACK_PROFILE[e["kind"]]
    if e["kind"] == "person" and rng.random() < 0.3:
        profile = "student"
    e["recruit"] = {"mode": "hijack", "profile": profile}
    return doc


@operator("add_camouflage")
def add_camouflage(doc: Doc, rng, ctx: OpContext) -> Doc | None:
    """Give an exposed account ordinary-looking payments (card purchases, bills) of its own."""
    touched = [e for t in doc["transfers"] if t["id"] in ctx.flagged for e in (t["src"], t["dst"])]
    pool = [e for e in doc["entities"] if e["kind"] in ("person", "business")]
    if not pool:
        return None
    cands = [e for e in pool if e["id"] in touched] or pool
    who = cands[int(rng.integers(len(cands)))]
    taken = _ids(doc)
    shop = {"id": _fresh(taken, "shop_"), "kind": "business", "role": "camouflage",
            "jurisdiction": who["jurisdiction"], "recruit": {"mode": "hijack", "profile": "merchant"}}
    doc["entities"].append(shop)
    card = who["kind"] == "person"
    span_h = doc["horizon_days"] * 24 * 0.4  # start and repeats each use at most 40% of the horizon
    repeats = int(rng.integers(2, 7))
    doc["transfers"].append({
        "id": _fresh(taken, "camo_"), "src": who["id"], "dst": shop["id"],
        "channel": "Credit Card" if card else "ACH", "purpose": "camouflage",
        "amount": {"kind": "range", "low": 15.0 if card else 300.0, "high": 250.0 if card else 5000.0},
        "timing": {"delay": {"dist": "uniform", "low": 0.0, "high": float(span_h)},
                   "repeats": repeats,
                   "every": {"dist": "uniform", "low": 1.0, "high": float(max(2.0, span_h / repeats))}},
    })
    return doc


@operator("spread_over_time")
def spread_over_time(doc: Doc, rng, ctx: OpContext) -> Doc | None:
    """Stretch every wait of the operation by a common factor."""
    f = float(rng.uniform(1.5, 3.0))
    longest = 0.0
    for t in doc["transfers"]:
        d = _delay(t)
        d["low"], d["high"] = float(d.get("low", 0.0)) * f, float(d.get("high", 24.0)) * f
        longest = max(longest, d["high"])
        if t["timing"].get("every"):
            e = t["timing"]["every"]
            e["low"], e["high"] = float(e.get("low", 0.0)) * f, float(e.get("high", 24.0)) * f
    doc["horizon_days"] = float(min(ctx.max_days, doc["horizon_days"] * f))
    return doc


@operator("reduce_fan_degree")
def reduce_fan_degree(doc: Doc, rng, ctx: OpContext) -> Doc | None:
    """Halve the widest fan (out or in) by routing half its legs through a new hub."""
    real = _real(doc)
    outs, ins = Counter(t["src"] for t in real), Counter(t["dst"] for t in real)
    flagged_ends = Counter(e for t in real if t["id"] in ctx.flagged for e in (t["src"], t["dst"]))
    best = max([(outs[e] + 2 * flagged_ends[e], "out", e) for e in outs if outs[e] >= 3]
               + [(ins[e] + 2 * flagged_ends[e], "in", e) for e in ins if ins[e] >= 3], default=None)
    if best is None:
        return None
    _, side, hub_of = best
    legs = [t for t in real if (t["src"] if side == "out" else t["dst"]) == hub_of]
    moved = legs[len(legs) // 2:]
    taken = _ids(doc)
    anchor = _entity(doc, hub_of)
    hub = {"id": _fresh(taken, "hub_"), "kind": "business" if rng.random() < 0.5 else "person",
           "role": "layer", "jurisdiction": anchor["jurisdiction"]}
    hub["recruit"] = {"mode": "hijack", "profile": _HIJACK_PROFILE[hub["kind"]]}
    doc["entities"].append(hub)
    link_id = _fresh(taken, "link_")
    moved_ids = {t["id"] for t in moved}
    if side == "out":
        if any(t["amount"]["kind"] != "fraction" for t in moved):
            return None
        total = sum(t["amount"]["fraction"] for t in moved)
        first = min(moved, key=lambda t: _delay(t).get("low", 0.0))
        link = {"id": link_id, "src": hub_of, "dst": hub["id"], "channel": first.get("channel", "Wire"),
                "amount": {"kind": "fraction", "fraction": round(min(total, 1.0), 4)},
                "timing": copy.deepcopy(first["timing"])}
        link["timing"].pop("repeats", None)
        cut = float(rng.uniform(0.01, 0.04))
        for t in moved:
            t["src"] = hub["id"]
            t["amount"]["fraction"] = float(np.floor(t["amount"]["fraction"] / total * (1 - cut) * 1e4) / 1e4)
            t["timing"]["after"] = [link_id]
        # legs still at the anchor must not spend what the link already carried
        doc["transfers"].insert(doc["transfers"].index(first), link)
    else:
        for t in moved:
            t["dst"] = hub["id"]
        link = {"id": link_id, "src": hub["id"], "dst": hub_of, "channel": moved[0].get("channel", "Wire"),
                "amount": {"kind": "fraction", "fraction": round(float(rng.uniform(0.97, 0.995)), 4)},
                "timing": {"after": sorted(moved_ids),
                           "delay": {"dist": "uniform", "low": 1.0, "high": 36.0}}}
        for t in doc["transfers"]:
            after = t.get("timing", {}).get("after", [])
            if moved_ids & set(after):
                t["timing"]["after"] = sorted(set(after) | {link_id})
        doc["transfers"].append(link)
        _stretch_horizon(doc, 36, ctx)
    return doc


def crossover(a: Doc, b: Doc, rng) -> Doc | None:
    """A's operation up to one of its intermediaries, then B's downstream flows from there."""
    recv_a = {t["dst"] for t in _real(a)} - {e["id"] for e in a["entities"] if e.get("initial_funds")}
    pays_b = sorted({t["src"] for t in _real(b)})  # B's origin too: cut_a then plays its part
    if not recv_a or not pays_b:
        return None
    cut_a = sorted(recv_a)[int(rng.integers(len(recv_a)))]
    root_b = pays_b[int(rng.integers(len(pays_b)))]
    # B's part downstream of root_b
    tail_t, tail_e, frontier = [], {root_b}, [root_b]
    while frontier:
        e = frontier.pop()
        for t in b["transfers"]:
            if t["src"] == e and t not in tail_t:
                tail_t.append(t)
                if t["dst"] not in tail_e:
                    tail_e.add(t["dst"])
                    frontier.append(t["dst"])
    child = copy.deepcopy(a)
    # drop A's flows out of cut_a and whatever only they fed
    drop = {t["id"] for t in child["transfers"] if t["src"] == cut_a}
    child["transfers"] = [t for t in child["transfers"] if t["id"] not in drop]
    fed_by = {t["dst"] for t in child["transfers"]} | {t["src"] for t in child["transfers"]}
    child["entities"] = [e for e in child["entities"] if e["id"] in fed_by or e["id"] == cut_a]
    kept = {t["id"] for t in child["transfers"]}
    for t in child["transfers"]:
        t["timing"]["after"] = [x for x in t.get("timing", {}).get("after", []) if x in kept]
    into_cut = [t["id"] for t in child["transfers"] if t["dst"] == cut_a]
    taken = _ids(child)
    rename = {root_b: cut_a}
    for e in b["entities"]:
        if e["id"] in tail_e and e["id"] != root_b:
            rename[e["id"]] = _fresh(taken, f"x_{e['id']}"[:36] + "_")
            ne = copy.deepcopy(e)
            ne["id"], ne["initial_funds"] = rename[e["id"]], False
            child["entities"].append(ne)
    tail_ids = {t["id"] for t in tail_t}
    tmap = {t["id"]: _fresh(taken, f"x_{t['id']}"[:36] + "_") for t in tail_t}
    for t in tail_t:
        nt = copy.deepcopy(t)
        nt["id"], nt["src"], nt["dst"] = tmap[t["id"]], rename[t["src"]], rename[t["dst"]]
        after = nt.get("timing", {}).get("after", [])
        inside = [tmap[x] for x in after if x in tail_ids]
        nt["timing"]["after"] = inside if inside or not after else list(into_cut)
        if not after and into_cut:
            nt["timing"]["after"] = list(into_cut)
        child["transfers"].append(nt)
    typ = list(dict.fromkeys(a["typology"] + b["typology"]))[:4]
    child["typology"] = typ
    child["horizon_days"] = max(a["horizon_days"], b["horizon_days"])
    child["name"] = (a["name"][:38] + " x " + b["name"][:38])[:80]
    return child


__all__ = ["OPERATORS", "OpContext", "crossover", "operator"]
