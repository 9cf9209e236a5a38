"""Fix-its: deterministic repairs of an LLM draft's most common compile errors, applied before
the error goes back to the model (as a compiler's fix-it hints, applied).

A small model's drafts fail mostly on bookkeeping, not on the pattern it meant: a transfer
names an entity it never declared, fixed amounts add up to more than `funds_placed`, a hop
forwards money before (or more than) it arrived, or a split has too few parts for its
threshold. Each fix-it keeps the draft's structure and changes the least it can:

- an undeclared entity is declared (its kind guessed from its id, a hijacked account when the
  id names a profile of the World, else a new account);
- an originator that pays out more than its share makes `funds_placed` large enough for the
  amounts the draft wrote (never beyond the compiler's ceiling: absurd amounts go back to the
  model);
- a hop that forwards money it has not received yet waits for the transfers that pay it; one
  that forwards more than it received forwards a share of it instead;
- shares one payer pays that add up to more than it received are scaled down together; a
  payment that is a share of what its payer received, but more than the payer still holds,
  takes a smaller share;
- a split gets enough parts to stay under its threshold;
- a transfer to its own payer (outside `Reinvestment`) is dropped, and a second transfer with a
  taken id is renamed;
- an entity whose role was left at its default gets one from the flows (initial funds: the
  originator; receives and never pays on: the beneficiary), before anything is compiled.

Every fix-it is one line in the returned list, so that what the planner changed is on record.
"""

from __future__ import annotations

import math
import re

from graph_schema.compiler import compile_scenario
from graph_schema.compiler.checks import MAX_AMOUNT
from graph_schema.dsl import Entity, FractionAmount, HijackedAccount, NewAccount, Scenario, parts_of, sizing
from graph_schema.enums import EntityKind, Profile, Purpose, Role
from graph_schema.errors import ScenarioError

MAX_FIXITS = 8
_KINDS = [  # id fragments -> entity kind (first match wins)
    (("shell",), EntityKind.SHELL_COMPANY),
    (("exchange", "crypto", "wallet"), EntityKind.CRYPTO_EXCHANGE),
    (("msb", "money_service", "remit", "hawala"), EntityKind.MONEY_SERVICE),
    (("shop", "business", "company", "merchant", "supplier", "corp", "ltd", "firm", "store", "front",
      "trading", "import", "export"), EntityKind.BUSINESS),
]
_PAYS = re.compile(r"pays ([\d,.]+) .* holds only (-?[\d,.]+) ")


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _kind_of(ident: str) -> EntityKind:
    return next((k for frags, k in _KINDS if any(f in ident for f in frags)), EntityKind.PERSON)


def _declare(s: Scenario, ident: str, world) -> tuple[Scenario, str]:
    present = set(world.profiles_present()) if world is not None else set()
    named = next((p for p in Profile if p.value in ident and p.value in present
                  and p not in (Profile.CASH_DESK, Profile.UNKNOWN)), None)
    pays = any(t.src == ident for t in s.transfers)
    jur = next((e.jurisdiction for e in s.entities if e.initial_funds), s.entities[0].jurisdiction
               if s.entities else "US")
    ent = Entity(id=ident, kind=_kind_of(ident), role=Role.LAYER if pays else Role.BENEFICIARY,
                 jurisdiction=jur,
                 recruit=HijackedAccount(profile=named) if named is not None else NewAccount())
    how = f"hijacked {named.value}" if named is not None else "new account"
    return s.model_copy(update={"entities": [*s.entities, ent]}), f"declared entity '{ident}' ({how})"


def _incoming(s: Scenario, i: int) -> list[str]:
    """Ids of the transfers that pay transfer ``i``'s source and do not wait for ``i``."""
    src = s.transfers[i].src
    mine = s.transfers[i].id
    return [t.id for t in s.transfers if t.dst == src and t.id != mine and mine not in t.timing.after
            and t.purpose is not Purpose.CAMOUFLAGE]


def _set_transfer(s: Scenario, i: int, **update) -> Scenario:
    ts = list(s.transfers)
    ts[i] = ts[i].model_copy(update=update)
    return s.model_copy(update={"transfers": ts})


def _wait_or_share(s: Scenario, i: int, rule: str, world) -> tuple[Scenario, str] | None:
    t = s.transfers[i]
    m = _PAYS.search(rule)
    held = _number(m.group(2)) if m else 0.0
    if held <= 0.005 or "received nothing" in rule:
        waits = [x for x in _incoming(s, i) if x not in t.timing.after]
        if not waits:
            return None
        timing = t.timing.model_copy(update={"after": [*t.timing.after, *waits]})
        return _set_transfer(s, i, timing=timing), f"transfers[{i}] waits for {', '.join(waits)}"
    if t.amount.kind in ("fixed", "range"):
        return (_set_transfer(s, i, amount=FractionAmount(fraction=0.9)),
                f"transfers[{i}] forwards 0.9 of what '{t.src}' received")
    return _smaller_share(s, i, world)


def _smaller_share(s: Scenario, i: int, world) -> tuple[Scenario, str] | None:
    """A payment that is a share of what its payer received, but more than the payer still
    holds (its earlier payments took the rest), takes the largest share in steps of 10% that
    fits (a split's share covers all its parts)."""
    t = s.transfers[i]
    whole = sizing(t.amount)
    if whole.kind != "fraction":
        return None
    if (scaled := _scale_shares(s, t.src)) is not None:
        return scaled
    for j in range(1, 45):
        fraction = math.floor(whole.fraction * 0.9**j * 10**4) / 10**4
        if fraction <= 0:
            return None
        smaller = FractionAmount(fraction=fraction)
        amount = t.amount.model_copy(update={"total": smaller}) if whole is not t.amount else smaller
        u = _set_transfer(s, i, amount=amount)
        if not _still_short(u, i, world):
            return u, f"transfers[{i}] forwards {fraction:g} of what '{t.src}' received"
    return None


def _share_of(t) -> float | None:
    """The share of its payer's receipts a transfer pays in all, or None if it is no share."""
    whole = sizing(t.amount)
    return whole.fraction * t.timing.repeats if whole.kind == "fraction" else None


def _scale_shares(s: Scenario, payer: str) -> tuple[Scenario, str] | None:
    """When the shares one payer pays add up to more than everything it received, all of them
    are scaled down together to add up to 0.99 (one fix-it, not one per payment)."""
    mine = [k for k, t in enumerate(s.transfers)
            if t.src == payer and t.purpose is not Purpose.CAMOUFLAGE and _share_of(t) is not None]
    total = sum(_share_of(s.transfers[k]) for k in mine)
    if total <= 1.0:
        return None
    for k in mine:
        t = s.transfers[k]
        whole = sizing(t.amount)
        smaller = FractionAmount(fraction=math.floor(whole.fraction * 0.99 / total * 10**4) / 10**4 or 1e-4)
        s = _set_transfer(s, k, amount=t.amount.model_copy(update={"total": smaller})
                          if whole is not t.amount else smaller)
    return s, f"the shares '{payer}' pays ({total:g} of what it received) scaled to add up to 0.99"


def _still_short(s: Scenario, i: int, world) -> bool:
    """Does transfer ``i`` still pay more than its payer holds in ``s``?"""
    try:
        compile_scenario(s, world, seed=0)
    except ScenarioError as err:
        return err.path == f"transfers[{i}]" and err.rule.startswith(
            ("spends more than its share", "money forwarded before it arrived"))
    return False


def _enough_funds(s: Scenario, i: int, rule: str, world) -> tuple[Scenario, str] | None:
    """Raise `funds_placed` until every originator's share covers what transfer ``i`` pays: by
    the shortfall first (a split counts all its parts), then by doubling steps when the payer's
    earlier payments are shares of its funds and take part of every raise; never past the
    largest operation the compiler accepts (an amount that needs more goes back to the model)."""
    m = _PAYS.search(rule)
    if not m:
        return None
    amount = s.transfers[i].amount
    parts = parts_of(amount)
    short = _number(m.group(1)) * parts - max(_number(m.group(2)), 0.0)
    if short <= 0:
        return None
    step = sum(1 for e in s.entities if e.initial_funds) * short * 1.05
    for k in range(12):
        funds = math.ceil((s.funds_placed + step * 2**k) * 100) / 100
        if funds > MAX_AMOUNT:
            return None
        t = s.model_copy(update={"funds_placed": funds})
        if not _still_short(t, i, world):
            return t, f"funds_placed raised to {funds:,.2f}"
    return None


def _drop_self_transfer(s: Scenario, i: int) -> tuple[Scenario, str] | None:
    """A payment to its own payer moves nothing (outside `Reinvestment`): drop it, and drop it
    from the timing of the transfers that waited for it."""
    if len(s.transfers) < 2:
        return None
    gone = s.transfers[i].id
    rest = []
    for k, t in enumerate(s.transfers):
        if k != i:
            after = [a for a in t.timing.after if a != gone]
            rest.append(t.model_copy(update={"timing": t.timing.model_copy(update={"after": after})}))
    return s.model_copy(update={"transfers": rest}), f"dropped transfers[{i}] ('{gone}' paid its own payer)"


def _rename(s: Scenario, i: int) -> tuple[Scenario, str]:
    """A second transfer with a taken id gets the first free ``<id>_<n>``; `after` lists keep
    naming the first."""
    taken = {t.id for t in s.transfers}
    old = s.transfers[i].id
    new = next(f"{old}_{n}" for n in range(2, 10**6) if f"{old}_{n}" not in taken)
    return _set_transfer(s, i, id=new), f"transfers[{i}] renamed '{new}' (its id was taken)"


def _more_parts(s: Scenario, i: int, rule: str) -> tuple[Scenario, str] | None:
    m = re.search(r"\d+ parts of ([\d,.]+) cannot all stay under ([\d,.]+)", rule)
    t = s.transfers[i]
    if not m or t.amount.kind != "split":
        return None
    parts = math.floor(_number(m.group(1)) / _number(m.group(2))) + 2
    if parts > 100:
        return None
    return (_set_transfer(s, i, amount=t.amount.model_copy(update={"parts": parts})),
            f"transfers[{i}] split into {parts} parts")


def fix_once(s: Scenario, err: ScenarioError, world) -> tuple[Scenario, str] | None:
    """One fix-it for ``err``, or None when it is not one fix-its handle."""
    unknown = re.fullmatch(r"transfers\[(\d+)\]\.(src|dst|id)", err.path)
    if unknown and err.rule.startswith("unknown entity"):
        return _declare(s, getattr(s.transfers[int(unknown.group(1))], unknown.group(2)), world)
    if unknown and err.rule.startswith("a transfer to the paying entity itself"):
        return _drop_self_transfer(s, int(unknown.group(1)))
    if unknown and err.rule.startswith("duplicate transfer id"):
        return _rename(s, int(unknown.group(1)))
    hop = re.fullmatch(r"transfers\[(\d+)\](\.amount)?(\.parts)?", err.path)
    if hop is None:
        return None
    i = int(hop.group(1))
    if err.rule.startswith("spends more than its share"):
        amount = s.transfers[i].amount
        whole = sizing(amount)
        if whole.kind == "fraction":  # a share of the funds grows with them: take a smaller one
            return _smaller_share(s, i, world)
        return _enough_funds(s, i, err.rule, world)
    if err.rule.startswith("money forwarded before it arrived") or "received nothing" in err.rule:
        return _wait_or_share(s, i, err.rule, world)
    if "cannot all stay" in err.rule:
        return _more_parts(s, i, err.rule)
    return None


def name_roles(s: Scenario) -> tuple[Scenario, list[str]]:
    """Roles from the flows, for entities whose role the draft left at its default (`layer`):
    an entity with initial funds is an originator, and one that receives and never pays on is
    the beneficiary. Compact answers leave `role` out, and a draft with no endpoint role fails
    the critic's laundering-purpose gate however its money moves."""
    pays = {t.src for t in s.transfers if t.purpose is not Purpose.CAMOUFLAGE}
    gets = {t.dst for t in s.transfers if t.purpose is not Purpose.CAMOUFLAGE}
    done, ents = [], list(s.entities)
    for k, e in enumerate(ents):
        if e.role is not Role.LAYER:
            continue
        role = Role.ORIGINATOR if e.initial_funds else Role.BENEFICIARY if e.id in gets - pays else None
        if role is not None:
            ents[k] = e.model_copy(update={"role": role})
            done.append(f"entity '{e.id}' is the {role.value} (its role was left out)")
    return (s.model_copy(update={"entities": ents}) if done else s), done


def apply_fixits(s: Scenario, world, seed: int = 0) -> tuple[Scenario, list[str]]:
    """``s`` made to compile in ``world`` by at most `MAX_FIXITS` fix-its, and what they did.

    Raises:
        ScenarioError: the draft still does not compile (the first error no fix-it handles,
            or the one left after the last fix-it), for the model to repair.
    """
    s, done = name_roles(s)
    for attempt in range(MAX_FIXITS + 1):
        try:
            compile_scenario(s, world, seed=seed)
            return s, done
        except ScenarioError as err:
            fixed = fix_once(s, err, world) if attempt < MAX_FIXITS else None
            if fixed is None:
                raise
            s, what = fixed
            done.append(what)
    raise AssertionError("unreachable: the last pass compiles or raises")


__all__ = ["MAX_FIXITS", "apply_fixits", "fix_once", "name_roles"]
