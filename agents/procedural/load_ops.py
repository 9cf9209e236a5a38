"""Operators that keep each account's volume near its peers': share an account's load among
parallel accounts, and move a person's flows to a business whose turnover covers them.

The realism discriminator compares every account of a scenario with accounts of the same
profile. When the amounts already look like the payer's own, what still gives an account
away is how much money it moves: a salaried account that receives and pays on $60k in ten
days, where its peers move about $1k. No amount or timing operator changes that; spreading
the same funds over more accounts, or over accounts whose peers turn over that much, does.
"""

from __future__ import annotations

import copy
import math

import numpy as np

from agents.procedural.lanes import flows, share_among
from agents.procedural.operators import Doc, OpContext, _real, _total, operator
from graph_schema.compiler.blend import KIND_PROFILE
from graph_schema.dsl import MAX_ENTITIES, MAX_TRANSFERS
from graph_schema.enums import EntityKind
from graph_schema.reference import usd_per_unit
from graph_schema.tables import CURRENCIES

# What a median account of each profile turns over (the larger of money in and money out,
# USD) in ten days of the default World (20,000 accounts, seed 3; measured with
# detectors.realism.frame over the accounts with any payment, since businesses' sales track
# their purchases). An operation's account passes for its peers while what it
# launders adds at most BLEND_SHARE of that.
TURNOVER_USD = {"student": 1_700.0, "salaried": 2_100.0, "retiree": 2_300.0, "money_service": 1_700.0,
                "self_employed": 15_000.0, "crypto_exchange": 45_000.0, "merchant": 87_000.0,
                "small_business": 91_000.0, "large_business": 820_000.0}
BLEND_SHARE = 0.5
MAX_COPIES = 6
_FRACTION_KINDS = ("fraction",)


def throughput(doc: Doc) -> dict[str, float]:
    """Rough money (USD) each entity receives or pays in the operation, from its specs:
    fractions of what the payer received, ranges at their geometric mean, in order of the
    flow (what an entity pays out comes after what it receives)."""
    rate = float(usd_per_unit()[CURRENCIES.index(doc["currency"])])
    received, paid, _ = flows(doc)
    return {e["id"]: rate * max(received[e["id"]], paid[e["id"]]) for e in doc["entities"]}


def capacity(e: dict) -> float:
    """What entity ``e`` can launder (USD) and still pass for a median account of its profile."""
    recruit = e.get("recruit") or {}
    profile = recruit.get("profile") or KIND_PROFILE[EntityKind(e["kind"])].value
    return BLEND_SHARE * TURNOVER_USD.get(profile, TURNOVER_USD["salaried"])


def _pick_heavy(doc: Doc, rng, want) -> tuple[dict, float] | None:
    """An entity that qualifies and moves more than its capacity, drawn in proportion to how
    many times its capacity it moves."""
    load = throughput(doc)
    excess = overloaded(doc, load)
    pool = [e for e in doc["entities"] if want(e) and e["id"] in excess]
    if not pool:
        return None
    w = np.array([excess[e["id"]] for e in pool])
    e = pool[int(rng.choice(len(pool), p=w / w.sum()))]
    return e, load[e["id"]]


@operator("share_load")
def share_load(doc: Doc, rng, ctx: OpContext) -> Doc | None:
    """Share a heavily used account's flows among 2-6 parallel accounts like it: each receives
    a k-th of what it received and pays on the same shares of that, so the funds stay whole
    while each account moves a k-th of the money. An account holding placed funds is shared
    together with every other such account, k ways each, since the funds are placed in equal
    shares: sharing one alone would hand it more of them. Flows to or from accounts alike
    (copies made earlier, or a fan's members) are dealt out among the copies, not repeated
    for each (`lanes.share_among`): two neighbours shared k ways become k parallel lanes,
    not a k-by-k mesh in which every account gains k counterparties."""
    real = _real(doc)
    picked = _pick_heavy(doc, rng, lambda e: _splittable(e, real))
    if picked is None:
        return None
    e, load = picked
    return _share_group(doc, e, int(np.clip(math.ceil(load / capacity(e)), 2, MAX_COPIES)))


def _splittable(e: dict, real: list[dict]) -> bool:
    """Whether `share_among` can share ``e`` (``real``: the scenario's `_real` transfers): no
    camouflage or cash, no payment to itself, and everything it pays a share of what it received."""
    return (e.get("role") != "camouflage" and e["kind"] != "cash"
            and not any(t["src"] == t["dst"] == e["id"] for t in real)
            and all(_total(t["amount"])["kind"] in _FRACTION_KINDS for t in real if t["src"] == e["id"]))


def _share_group(doc: Doc, e: dict, k: int) -> Doc | None:
    """``doc`` with ``e`` shared k ways (fewer if the DSL's limits need it), together with every
    other funded account if ``e`` is funded and all are splittable (None if not even 2 fit)."""
    real = _real(doc)
    group = [e]
    if e.get("initial_funds"):
        funded = [x for x in doc["entities"] if x.get("initial_funds")]
        group = funded if all(_splittable(x, real) for x in funded) else group
    moved = sum(1 for t in real for x in group if x["id"] in (t["src"], t["dst"]))
    k = min(k, 1 + (MAX_ENTITIES - len(doc["entities"])) // len(group),
            1 + (MAX_TRANSFERS - len(doc["transfers"])) // max(moved, 1))
    if k < 2:
        return None
    for x in group:
        if share_among(doc, x["id"], k) is None:
            return None
    return doc


@operator("front_business")
def front_business(doc: Doc, rng, ctx: OpContext) -> Doc | None:
    """Move a person who launders more than a household turns over to a trading business (a
    hijacked or newly opened small business or merchant), whose turnover covers far more;
    what one business still cannot cover, `share_load` spreads over several."""
    heavy = _pick_heavy(doc, rng, lambda e: e["kind"] == "person" and e.get("role") != "camouflage")
    if heavy is None:
        return None
    e, _ = heavy
    profile = "small_business" if rng.random() < 0.6 else "merchant"
    e["kind"] = "business"
    e["recruit"] = ({"mode": "hijack", "profile": profile} if e.get("recruit", {}).get("mode") == "hijack"
                    else {"mode": "new", "profile": profile})
    return doc


def overloaded(doc: Doc, load: dict[str, float] | None = None) -> dict[str, float]:
    """Entities that move more than their capacity, and how many times their capacity they move (``load``:
    `throughput(doc)` if already known)."""
    load = throughput(doc) if load is None else load
    return {e["id"]: load[e["id"]] / capacity(e) for e in doc["entities"] if load[e["id"]] > capacity(e)}


def fit_capacity(doc: Doc, rng, ctx: OpContext, steps: int = 12) -> Doc:
    """``doc`` with its load brought within every account's capacity as far as `front_business`
    (persons that launder more than a household turns over) and `share_load` (any account
    still over) can, in at most ``steps`` edits: the planner's drafts then start from
    accounts whose peers turn over what they launder, instead of households moving a
    business's money. An edit that finds nothing to do ends the pass; what stays over is kept."""
    for _ in range(steps):
        over = overloaded(doc)
        if not over:
            break
        persons = any(e["kind"] == "person" and e["id"] in over and e.get("role") != "camouflage"
                      for e in doc["entities"])
        out = (front_business(copy.deepcopy(doc), rng, ctx) if persons else None) or share_load(
            copy.deepcopy(doc), rng, ctx)
        if out is None:
            break
        doc = out
    return doc


__all__ = ["TURNOVER_USD", "capacity", "fit_capacity", "front_business", "overloaded", "share_load",
           "throughput"]
