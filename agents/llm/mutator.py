"""The LLM mutator (Rainbow Teaming's mutator): the model answers with small edits, not whole
scenarios. An edit is either a named mutation operator applied to a transfer the model
chooses, or a short JSON patch of the parent's compact document. Each edit is applied,
validated, fitted to the horizon, given the planner's fix-its (`agents.llm.fixits`) and
compiled; if no edit gives a valid child, every edit's error goes back to the model as a
repair. The procedural operators stay the fallback and the baseline
(`agents.procedural.OperatorEvolver`).
"""

from __future__ import annotations

import copy
from typing import Any, Literal

import numpy as np
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field

from agents.base import Evolver
from agents.digest import compact_doc
from agents.llm.backend import LLMClient
from agents.llm.evolver import parent_views
from agents.llm.fixits import apply_fixits
from agents.llm.planner import horizon_cap
from agents.llm.prompts import render
from agents.models import Candidate, Offspring
from agents.procedural.evolver import fit_timing
from agents.procedural.operators import OPERATORS, OpContext
from graph_schema.compiler import parse_scenario
from graph_schema.dsl import (
    FixedAmount,
    FractionAmount,
    Lineage,
    MimicAmount,
    RangeAmount,
    Scenario,
    SplitAmount,
    Transfer,
)
from graph_schema.errors import ScenarioError

#: amount kind -> the fields an amount of that kind has (a patch may set no other)
AMOUNT_FIELDS = {m.model_fields["kind"].default: [f for f in m.model_fields if f != "kind"]
                 for m in (FixedAmount, RangeAmount, FractionAmount, SplitAmount, MimicAmount)}


class NoSuchField(ValueError):
    """A patch sets a field its object's kind does not have."""


def _amount_field(node, last: str, k: int, path: str) -> None:
    """Refuse setting a field that the amount ``node``'s kind does not have, saying which it has
    and how to change the kind (small models patch `parts` into share amounts)."""
    kind = node.get("kind") if isinstance(node, dict) else None
    if kind in AMOUNT_FIELDS and last not in AMOUNT_FIELDS[kind] and last != "kind":
        raise NoSuchField(f"patch[{k}].path: '{path}': a '{kind}' amount has no field '{last}' (its "
                         f"fields: {', '.join(AMOUNT_FIELDS[kind])}); to change the kind, replace the "
                         "whole amount, e.g. path '/transfers/0/amount' with value {\"kind\": \"split\", "
                         "\"total\": {\"kind\": \"fraction\", \"fraction\": 1}, \"parts\": 4, "
                         "\"under\": 10000}")


class PatchOp(BaseModel):
    """One JSON-patch operation on the parent's document."""

    model_config = ConfigDict(extra="forbid")

    op: Literal["replace", "add", "remove"] = Field(description="What to do at `path`.")
    path: str = Field(pattern=r"^(/[A-Za-z0-9_\-]+)+$", max_length=80,
                      description="JSON pointer into the scenario, e.g. /transfers/2/timing/delay/high; "
                      "'-' as the last step of 'add' appends to a list.")
    value: Any = Field(None, description="The new value ('replace' and 'add').")


class Edit(BaseModel):
    """One small change to one parent."""

    model_config = ConfigDict(extra="forbid")

    parent: int = Field(0, ge=0, description="Index of the parent to change.")
    operator: str = Field(max_length=40, description="A mutation operator's name, or 'patch'.")
    target: str | None = Field(None, max_length=40, description="Id of the transfer the operator "
                               "acts on (operators on an account take its payer or payee); empty "
                               "lets the operator choose.")
    patch: list[PatchOp] = Field(default_factory=list, max_length=6,
                                 description="'patch' only: the operations, applied in order.")
    answers: list[str] = Field(default_factory=list, max_length=4,
                               description="Critique ids (C1, ...) or flagged transfer ids it answers.")


class EditAnswer(BaseModel):
    """The mutator model's answer."""

    model_config = ConfigDict(extra="forbid")

    edits: list[Edit] = Field(min_length=1, max_length=8, description="The edits, one child each.")


def apply_patch(doc: dict, ops: list[PatchOp], anchor: int | None = None) -> dict:
    """``doc`` with the JSON-patch ``ops`` applied (a copy). A path that starts at a transfer's
    field (``/timing/delay/high``, as small models write when they mean the transfer they act
    on) is read under transfer ``anchor`` when one is given.

    Raises:
        ValueError: a path that does not exist (named with the operation's index).
    """
    out = copy.deepcopy(doc)
    for k, p in enumerate(ops):
        steps = p.path.strip("/").split("/")
        relative = steps[0] in Transfer.model_fields and steps[0] not in Scenario.model_fields
        if relative and anchor is None:
            raise ValueError(f"patch[{k}].path: '{p.path}' names a transfer's field; paths start at the "
                             "scenario, e.g. /transfers/0/timing (or name the transfer in `target`)")
        if relative:
            steps = ["transfers", str(anchor), *steps]
        node = out
        try:
            for s in steps[:-1]:
                node = node[int(s)] if isinstance(node, list) else node[s]
            last = steps[-1]
            if isinstance(node, list):
                if p.op == "add":
                    node.insert(len(node) if last == "-" else int(last), p.value)
                elif p.op == "remove":
                    del node[int(last)]
                else:
                    node[int(last)] = p.value
            elif p.op == "remove":
                del node[last]
            else:
                # 'replace' of a field left at its default (absent from the compact form) sets it
                _amount_field(node, last, k, p.path)
                node[last] = p.value
        except NoSuchField:
            raise
        except (KeyError, IndexError, ValueError, TypeError):
            raise ValueError(f"patch[{k}].path: '{p.path}' does not exist in the parent") from None
    return out


def _transfer_of(s: Scenario, target: str | None, parent: int) -> str | None:
    """The transfer an operator edit acts on: ``target`` itself, or, when the model named an
    entity (as small models do), the first transfer that entity pays, else the first it receives.

    Raises:
        ValueError: ``target`` names neither a transfer nor an entity of the parent.
    """
    if target is None or any(t.id == target for t in s.transfers):
        return target
    for side in ("src", "dst"):
        if (t := next((t for t in s.transfers if getattr(t, side) == target), None)) is not None:
            return t.id
    raise ValueError(f"target: '{target}' is neither a transfer nor an entity of parent {parent}")


class LLMMutator(Evolver):
    """Parents -> children from small edits written by a chat model.

    Args:
        client: the backend handle for role 'evolver'.
        world: children must compile in it (if given); its period bounds the horizon.
        max_days: the loop's `agents.max_horizon_days`, when shorter than the World's period.
        seed: seed of the operators' random choices.
        slack: horizon slack of `fit_timing`.
    """

    def __init__(self, client: LLMClient, world=None, seed: int = 0, slack: float = 0.1,
                 max_days: float | None = None):
        self.client, self.world, self.seed, self.slack = client, world, seed, slack
        self.max_days = horizon_cap(world, max_days)
        self.fixit_log: dict[str, list[str]] = {}  # child uid -> the fix-its it needed

    def _child(self, e: Edit, parent: Candidate, rng) -> Scenario:
        doc = compact_doc(parent.scenario)
        if e.operator == "patch":
            if not e.patch:
                raise ValueError("patch: a 'patch' edit needs at least one operation")
            ids = [t["id"] for t in doc["transfers"]]
            mark = e.target or next(iter(parent.report.flagged_transfers if parent.report else []), None)
            doc = apply_patch(doc, e.patch, ids.index(mark) if mark in ids else None)
        elif e.operator in OPERATORS:
            full = parent.scenario.model_dump(mode="json")
            target = _transfer_of(parent.scenario, e.target, e.parent)
            flagged = [target] if target else (parent.report.flagged_transfers if parent.report else [])
            ctx = OpContext(report=parent.report, review=parent.review, max_days=self.max_days,
                            flagged=flagged)
            doc = OPERATORS[e.operator](full, rng, ctx)
            if doc is None:
                raise ValueError(f"operator: '{e.operator}' does not apply to parent {e.parent}")
        else:
            raise ValueError(f"operator: '{e.operator}' is neither 'patch' nor one of "
                             f"{', '.join(sorted(OPERATORS))}")
        doc.pop("lineage", None)
        s = fit_timing(parse_scenario(doc), self.max_days, self.slack)
        if s is None:
            raise ValueError(f"the child's timing cannot fit the {self.max_days:g} days an operation "
                             "may last")
        if self.world is not None:  # bookkeeping slips are fixed as in the planner's drafts
            s, done = apply_fixits(s, self.world)
            self.fixit_log[s.uid] = done
        return s

    async def evolve(self, parents: list[Candidate], n: int, sample: int = 0) -> list[Offspring]:
        if not parents:
            return []
        views, critiques = parent_views(parents)
        ops = [{"name": name, "doc": (fn.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")}
               for name, fn in sorted(OPERATORS.items())]
        msgs = [SystemMessage(render("mutator_system", operators=ops, amount_fields=AMOUNT_FIELDS)),
                HumanMessage(render("evolver_user", n=n, parents=views, edits=True))]
        made: list[tuple[Edit, Scenario]] = []

        def validate(ans: EditAnswer) -> EditAnswer:
            made.clear()
            errors = []
            for i, e in enumerate(ans.edits[:n]):
                try:
                    if e.parent >= len(parents):
                        raise ValueError(f"parent: {e.parent} is not a parent index 0-{len(parents) - 1}")
                    rng = np.random.default_rng([self.seed, sample, i])
                    made.append((e, self._child(e, parents[e.parent], rng)))
                except (ValueError, ScenarioError) as err:
                    errors.append(f"edits[{i}].{' '.join(str(err).split())}")
            if not made:
                raise ValueError("no edit gave a valid child: " + "; ".join(errors)[:1500])
            return ans

        await self.client.structured(EditAnswer, msgs, sample, validate)
        out = []
        for e, s in made:
            p = parents[e.parent].scenario
            what = e.operator if e.operator != "patch" else "patch:" + ",".join(
                dict.fromkeys(o.path.strip("/").split("/")[0] for o in e.patch))
            name = f"llm:{what}"[:53] + ("+fixits" if self.fixit_log.get(s.uid) else "")
            lineage = Lineage(parents=[p.uid], operator=name, generation=p.lineage.generation + 1)
            answers = [critiques[a].key if a in critiques else f"flagged transfer '{a}'" for a in e.answers]
            out.append(Offspring(scenario=s.model_copy(update={"lineage": lineage}), operator=name,
                                 answers=answers))
        return out


__all__ = ["AMOUNT_FIELDS", "Edit", "EditAnswer", "LLMMutator", "PatchOp", "apply_patch"]
