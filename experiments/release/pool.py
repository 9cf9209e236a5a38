"""The scenario pool a release draws from: the planner drafts and archive elites of one arm
of an effect experiment, per evolution seed, as JSON lines (`redledger release-pool`).

The pool is committed beside the release config, so that a fresh clone rebuilds the release
without re-running the experiment that evolved it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from experiments.effect.cells import load_cell
from graph_schema.compiler import parse_scenario
from graph_schema.dsl import Scenario
from graph_schema.errors import ScenarioError
from graph_schema.formats.atomic import write_text_atomic

KINDS = ("draft", "elite")


class PoolError(ValueError):
    """The pool file or the experiment it is drawn from is unusable (one line)."""


@dataclass(frozen=True)
class PoolEntry:
    kind: str  # "draft" or "elite"
    seed: int  # the evolution seed that produced it
    source_id: str  # its id in the experiment
    scenario: Scenario
    meta: dict  # elo, cell, family, realism ... as the experiment stored them


def _lines(kind: str, seed: int, arm: str, items: list[dict]) -> list[dict]:
    keep = ("elo", "cell", "family", "realism", "funds_integrated", "value_evasion", "case_evasion")
    return [{"kind": kind, "seed": seed, "arm": arm, "source_id": it["id"], "scenario": it["scenario"],
             "meta": {k: it[k] for k in keep if k in it}} for it in items]


def pool_from_experiment(exp_dir: Path, arm: str, seeds: list[int]) -> list[dict]:
    """The drafts and elites of ``arm`` for each of ``seeds`` from an experiment's stored cells.

    Raises:
        PoolError: a seed's evolve cell is missing (the experiment has not run it yet).
    """
    rows: list[dict] = []
    for seed in seeds:
        try:
            res = load_cell(exp_dir, f"evolve/{arm}-s{seed}")
        except FileNotFoundError:
            raise PoolError(f"{exp_dir}: cell evolve/{arm}-s{seed} is not stored; run the experiment "
                            "to the end first") from None
        drafts = [{"id": parse_scenario(d).uid, "scenario": json.loads(d)} for d in res["drafts"]]
        rows += _lines("draft", seed, arm, drafts) + _lines("elite", seed, arm, res["elites"])
    return rows


def write_pool(rows: list[dict], out: Path) -> None:
    write_text_atomic(out, "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))


def read_pool(path: Path) -> tuple[list[PoolEntry], str]:
    """The pool's entries and the SHA-256 of its bytes.

    Raises:
        PoolError: unreadable, or a line that is not a pool entry (names the line and the rule).
    """
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise PoolError(f"{path}: cannot read the scenario pool ({err.strerror})") from None
    out = []
    for n, line in enumerate(raw.decode("utf-8", errors="replace").splitlines(), 1):
        try:
            rec = json.loads(line)
            if rec["kind"] not in KINDS:
                raise ValueError(f"kind '{rec['kind']}' is not one of {list(KINDS)}")
            out.append(PoolEntry(rec["kind"], int(rec["seed"]), str(rec["source_id"]),
                                 parse_scenario(rec["scenario"]), dict(rec.get("meta") or {})))
        except KeyError as err:
            raise PoolError(f"{path}:{n}: field {err}: required field is missing") from None
        except (ValueError, TypeError, ScenarioError) as err:
            raise PoolError(f"{path}:{n}: {err}".splitlines()[0]) from None
    return out, hashlib.sha256(raw).hexdigest()


__all__ = ["KINDS", "PoolEntry", "PoolError", "pool_from_experiment", "read_pool", "write_pool"]
