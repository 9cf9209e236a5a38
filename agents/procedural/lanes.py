"""Sharing one account's flows among k copies of it (`share_among`), lane by lane.

Flows to or from accounts alike (copies made earlier, or a fan's members) are dealt out
among the copies as a staircase, not repeated for each: two neighbours shared k ways
become k parallel lanes, not a k-by-k mesh in which every account gains k counterparties,
which is what gave shared accounts away to the realism discriminator.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict

import numpy as np

from agents.procedural.operators import Doc, _fresh, _ids, _real, _total
from graph_schema.dsl import PARTED


def _estimate(total: dict, t: dict, received: float) -> float:
    """What a transfer with the amount spec ``total`` moves in all, its payer having received ``received``."""
    reps = int(t.get("timing", {}).get("repeats", 1) or 1)
    if total["kind"] == "fraction":
        return total["fraction"] * received
    return reps * (total["value"] if total["kind"] == "fixed" else math.sqrt(total["low"] * total["high"]))


def flows(doc: Doc) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """The estimate behind `load_ops.throughput` in the scenario's currency: what each entity receives and
    pays, and what each transfer moves."""
    real = _real(doc)
    funded = [e["id"] for e in doc["entities"] if e.get("initial_funds")]
    received: dict[str, float] = defaultdict(float)
    for e in funded:
        received[e] = doc["funds_placed"] / max(len(funded), 1)
    paid: dict[str, float] = defaultdict(float)
    moves: dict[str, float] = {}
    into = defaultdict(list)
    for t in real:
        into[t["dst"]].append(t["id"])
    pending = list(real)
    while pending:  # payers whose receipts are all known first; a cycle is cut in document order
        ready = [t for t in pending if all(x in moves for x in into[t["src"]] if x != t["id"])] or pending[:1]
        for t in ready:
            have = max(received[t["src"]] - paid[t["src"]], 0.0)
            amount = min(_estimate(_total(t["amount"]), t, received[t["src"]]), have)
            paid[t["src"]] += amount
            received[t["dst"]] += amount
            moves[t["id"]] = amount
            pending.remove(t)
    return received, paid, moves


def fewer_parts(amount: dict, k: int) -> dict:
    """The same share of the payer's receipts, paid in a k-th of the parts."""
    if amount["kind"] not in PARTED:
        return amount
    return {**amount, "parts": max(2 if amount["kind"] == "split" else 1, math.ceil(amount["parts"] / k))}


def share_among(doc: Doc, eid: str, k: int) -> Doc | None:
    """`load_ops.share_load` of entity ``eid`` among k copies, in place (None when a share would
    round to nothing; ``doc`` is then left unchanged by this call, though a caller sharing
    several entities may have changed it before)."""
    e = next(x for x in doc["entities"] if x["id"] == eid)
    moved = [t for t in _real(doc) if eid in (t["src"], t["dst"])]
    taken = _ids(doc)
    dealt = _deal(doc, eid, moved, k)
    if dealt is None:
        return None
    names = [eid] + [_fresh(taken, f"{eid[:34]}_s") for _ in range(k - 1)]
    doc["entities"].extend({**e, "id": n, "bank": None} for n in names[1:])
    inst: dict[str, list[tuple[str, int]]] = {}  # transfer id -> (id of each instance, copy it touches)
    for t in moved:
        ids = [t["id"]] + [_fresh(taken, f"{t['id'][:34]}_s") for _ in dealt[t["id"]][1:]]
        inst[t["id"]] = [(j, i) for j, (i, _) in zip(ids, dealt[t["id"]], strict=True)]
    grown = {j for pairs in inst.values() for j, _ in pairs}
    new_transfers = []
    for t in doc["transfers"]:
        after = t.get("timing", {}).get("after", [])
        if t["id"] not in inst:
            if any(a in inst for a in after):  # waits for every instance of what it waited for
                t["timing"]["after"] = [j for a in after for j in _waits(inst, a, None)]
            new_transfers.append(t)
            continue
        for (tid, i), (_, amount) in zip(inst[t["id"]], dealt[t["id"]], strict=True):
            waits = [j for a in after for j in _waits(inst, a, i)]
            if not any(j in grown for j in waits):  # its copy took none of them: wait for all
                waits = [j for a in after for j in _waits(inst, a, None)]
            c = {**t, "id": tid, "amount": amount, "timing": {**t.get("timing", {}), "after": waits}}
            c["src" if t["src"] == eid else "dst"] = names[i]
            new_transfers.append(c)
    doc["transfers"] = new_transfers
    return doc


def _waits(inst: dict[str, list[tuple[str, int]]], a: str, copy_index: int | None) -> list[str]:
    """What waiting for transfer ``a`` becomes: its instances that touch copy ``copy_index``
    (None: all of them), or ``a`` itself if it was not shared out."""
    if a not in inst:
        return [a]
    return [j for j, i in inst[a] if copy_index is None or i == copy_index]


def _alike(e: dict) -> str:
    """What entities alike share: `share_load` makes its copies alike, and a fan's members are."""
    return json.dumps([e["kind"], e.get("role"), e["jurisdiction"], e.get("recruit")], sort_keys=True)


def _deal(doc: Doc, eid: str, moved: list[dict], k: int) -> dict[str, list[tuple[int, dict]]] | None:
    """For each transfer of ``moved`` (those to or from ``eid``), the copies of ``eid`` (0 to
    k-1) it goes to or from, with its amount there (None when a share rounds to nothing).

    Transfers on one side whose counterparts are alike, on one channel and for one purpose,
    are a class of m members, dealt out as a staircase (`_overlaps`): laid end to end, the
    members are cut into k equal runs, one per copy, so each copy takes about m/k members
    and each member reaches about k/m copies (one each when m = k: parallel lanes). A
    member paid to ``eid`` brings each copy the part of its amount the copy's run covers; a
    copy paying out pays its members the class's whole share of what it received, in
    proportion to their shares and the parts it covers."""
    ents = {x["id"]: x for x in doc["entities"]}
    moves = flows(doc)[2]
    classes: dict[tuple, list[dict]] = defaultdict(list)
    for t in moved:
        side = "src" if t["src"] == eid else "dst"
        other = t["dst"] if side == "src" else t["src"]
        key = (side, _alike(ents[other]), t.get("channel"), t.get("purpose"), t["amount"]["kind"])
        classes[key].append(t)
    out: dict[str, list[tuple[int, dict]]] = {}
    for (side, *_), members in classes.items():
        if side == "dst":  # paid to eid: member j brings copy i the part of it copy i's run covers
            size = [max(moves[t["id"]], 1e-9) for t in members]
            out.update({t["id"]: [] for t in members})
            for i, row in enumerate(_overlaps(size, k)):
                for j, part in row.items():
                    t = members[j]
                    # a lone member: exactly a k-th to each copy, not a k-th up to float error
                    amount = _portion(t["amount"], *((1.0, k) if len(members) == 1 else (part, size[j])))
                    if amount is None:
                        return None
                    out[t["id"]].append((i, amount))
            continue
        share = [_total(t["amount"])["fraction"] for t in members]  # paid by eid: runs of money
        whole = sum(share)
        out.update({t["id"]: [] for t in members})
        for i, row in enumerate(_overlaps(share, k)):
            for j, part in row.items():
                t = members[j]
                f = whole if len(row) == 1 and len(members) == 1 else part * k  # a lone member: its share
                amount = _as_share(fewer_parts(t["amount"], math.ceil(share[j] / part - 1e-9)), f)
                if amount is None:
                    return None
                out[t["id"]].append((i, amount))
    return out


def _overlaps(lengths: list[float], k: int) -> list[dict[int, float]]:
    """Members of these lengths laid end to end and cut into k equal runs: per run, the
    members it covers and how much of each (overlaps shorter than 1e-9 of the whole left out)."""
    ends = np.cumsum([0.0, *lengths])
    run = ends[-1] / k
    rows = []
    for i in range(k):
        lo, hi = i * run, (i + 1) * run
        rows.append({j: min(hi, ends[j + 1]) - max(lo, ends[j]) for j in range(len(lengths))
                     if min(hi, ends[j + 1]) - max(lo, ends[j]) > 1e-9 * ends[-1]})
    return rows


def _portion(amount: dict, part: float, whole: float) -> dict | None:
    """An amount spec moving ``part / whole`` of ``amount`` (None when it rounds to nothing)."""
    if part >= whole * (1 - 1e-9):
        return amount
    a = amount
    if a["kind"] in PARTED:
        total = _portion(a["total"], part, whole)
        return None if total is None else {**fewer_parts(a, math.ceil(whole / part - 1e-9)), "total": total}
    if a["kind"] == "fraction":
        f = math.floor(a["fraction"] * part / whole * 1e4) / 1e4
        return {**a, "fraction": f} if f > 0 else None
    if a["kind"] == "fixed":
        v = a["value"] * part / whole
        return {**a, "value": round(v, 2)} if v >= 0.01 else None
    return {**a, "low": a["low"] * part / whole, "high": a["high"] * part / whole}


def _as_share(amount: dict, fraction: float) -> dict | None:
    """A fraction amount spec (or a parted one of a fraction total) set to ``fraction``,
    floored to the DSL's 4 places and at most 1 (None when it rounds to nothing)."""
    if amount["kind"] == "fraction" and amount["fraction"] == fraction:
        return amount
    if amount["kind"] in PARTED:
        total = _as_share(amount["total"], fraction)
        return None if total is None else {**amount, "total": total}
    f = min(math.floor(fraction * 1e4 + 1e-6) / 1e4, 1.0)
    return {**amount, "fraction": f} if f > 0 else None


__all__ = ["fewer_parts", "flows", "share_among"]
