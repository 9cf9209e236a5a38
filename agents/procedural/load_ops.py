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
from collections import defaultdict

import numpy as np

from agents.procedural.operators import Doc, OpContext, _fresh, _ids, _real, _total, operator
from graph_schema.compiler.blend import KIND_PROFILE
from graph_schema.dsl import MAX_ENTITIES, MAX_TRANSFERS, PARTED
from graph_schema.enums import EntityKind
from graph_schema.reference import usd_per_unit
from graph_schema.tables import CURRENCIES

# What a median account of each profile turns over (the larger of money in and money out,
# USD) in ten days of the default World (20,000 accounts, seed 3; measured with
# detectors.realism.frame). An operation's account passes for its peers while what it
# launders adds at most BLEND_SHARE of that.
TURNOVER_USD = {"student": 1_700.0, "salaried": 2_000.0, "retiree": 2_300.0, "money_service": 2_000.0,
                "self_employed": 21_000.0, "crypto_exchange": 45_000.0, "merchant": 75_000.0,
                "small_business": 92_000.0, "large_business": 950_000.0}
BLEND_SHARE = 0.5
MAX_COPIES = 6
_FRACTION_KINDS = ("fraction",)


def _estimate(total: dict, t: dict, received: float) -> float:
    """What a transfer with the amount spec ``total`` moves in all, its payer having received ``received``."""
    reps = int(t.get("timing", {}).get("repeats", 1) or 1)
    if total["kind"] == "fraction":
        return total["fraction"] * received
    return reps * (total["value"] if total["kind"] == "fixed" else math.sqrt(total["low"] * total["high"]))


def throughput(doc: Doc) -> dict[str, float]:
    """Rough money (USD) each entity receives or pays in the operation, from its specs:
    fractions of what the payer received, ranges at their geometric mean, in order of the
    flow (what an entity pays out comes after what it receives)."""
    rate = float(usd_per_unit()[CURRENCIES.index(doc["currency"])])
    real = _real(doc)
    funded = [e["id"] for e in doc["entities"] if e.get("initial_funds")]
    received: dict[str, float] = defaultdict(float)
    for e in funded:
        received[e] = doc["funds_placed"] / max(len(funded), 1)
    paid: dict[str, float] = defaultdict(float)
    into = defaultdict(list)
    for t in real:
        into[t["dst"]].append(t["id"])
    done: set[str] = set()
    pending = list(real)
    while pending:  # payers whose receipts are all known first; a cycle is cut in document order
        ready = [t for t in pending if all(x in done for x in into[t["src"]] if x != t["id"])] or pending[:1]
        for t in ready:
            have = max(received[t["src"]] - paid[t["src"]], 0.0)
            amount = min(_estimate(_total(t["amount"]), t, received[t["src"]]), have)
            paid[t["src"]] += amount
            received[t["dst"]] += amount
            done.add(t["id"])
            pending.remove(t)
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


def _divide(amount: dict, k: int) -> dict | None:
    """An amount spec moving a k-th of ``amount`` (None when a share would round to nothing)."""
    a = amount
    if a["kind"] in PARTED:
        total = _divide(a["total"], k)
        return None if total is None else {**_fewer_parts(a, k), "total": total}
    if a["kind"] == "fraction":
        f = math.floor(a["fraction"] / k * 1e4) / 1e4
        return {**a, "fraction": f} if f > 0 else None
    if a["kind"] == "fixed":
        return {**a, "value": round(a["value"] / k, 2)} if a["value"] / k >= 0.01 else None
    return {**a, "low": a["low"] / k, "high": a["high"] / k}


def _fewer_parts(amount: dict, k: int) -> dict:
    """The same share of the payer's receipts, paid in a k-th of the parts."""
    if amount["kind"] not in PARTED:
        return amount
    return {**amount, "parts": max(2 if amount["kind"] == "split" else 1, math.ceil(amount["parts"] / k))}


@operator("share_load")
def share_load(doc: Doc, rng, ctx: OpContext) -> Doc | None:
    """Share a heavily used account's flows among 2-4 parallel accounts like it: each receives
    a k-th of what it received and pays on the same shares of that, so the funds stay whole
    while each account moves a k-th of the money."""
    real = _real(doc)

    def splittable(e: dict) -> bool:
        out = [t for t in real if t["src"] == e["id"]]
        return (e.get("role") != "camouflage" and e["kind"] != "cash"
                and not any(t["src"] == t["dst"] == e["id"] for t in real)
                and all(_total(t["amount"])["kind"] in _FRACTION_KINDS for t in out))

    picked = _pick_heavy(doc, rng, splittable)
    if picked is None:
        return None
    e, load = picked
    k = int(np.clip(math.ceil(load / capacity(e)), 2, MAX_COPIES))
    moved = [t for t in real if e["id"] in (t["src"], t["dst"])]
    k = min(k, 1 + (MAX_ENTITIES - len(doc["entities"])), 1 + (MAX_TRANSFERS - len(doc["transfers"]))
            // max(len(moved), 1))
    if k < 2:
        return None
    taken = _ids(doc)
    names = [e["id"]] + [_fresh(taken, f"{e['id'][:34]}_s") for _ in range(k - 1)]
    doc["entities"].extend({**e, "id": n, "bank": None} for n in names[1:])
    copies: dict[str, list[str]] = {}
    for t in moved:
        copies[t["id"]] = [t["id"]] + [_fresh(taken, f"{t['id'][:34]}_s") for _ in range(k - 1)]
    new_transfers = []
    for t in doc["transfers"]:
        after = t.get("timing", {}).get("after", [])
        if t["id"] not in copies:
            if any(a in copies for a in after):  # waits for every copy of what it waited for
                t["timing"]["after"] = [c for a in after for c in copies.get(a, [a])]
            new_transfers.append(t)
            continue
        amount = _divide(t["amount"], k) if t["dst"] == e["id"] else _fewer_parts(t["amount"], k)
        if amount is None:
            return None
        for i in range(k):
            waits = [copies[a][i] if a in copies else a for a in after]
            c = {**t, "id": copies[t["id"]][i], "amount": amount,
                 "timing": {**t.get("timing", {}), "after": waits}}
            c["src" if t["src"] == e["id"] else "dst"] = names[i]
            new_transfers.append(c)
    doc["transfers"] = new_transfers
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
