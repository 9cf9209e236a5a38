"""The export formats: each writes the run's content into a directory."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from agents import Brief, planner_prompt
from detectors import from_ledger, temporal_split
from detectors.features import edge_features
from detectors.graph_files import content_digest, load_graphs, save_graphs
from detectors.graph_files import dgl_graph as make_graph
from graph_schema.dsl import Scenario
from graph_schema.formats import write_amlsim, write_amlworld, write_world
from orchestrator.engine import STORE, RunStore
from orchestrator.export.content import RunContent, scenario_record


def _jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows), encoding="utf-8")


def amlworld(c: RunContent, out: Path) -> None:
    write_amlworld(c.world, out)


def amlsim(c: RunContent, out: Path) -> None:
    write_amlsim(c.world, out)


def parquet(c: RunContent, out: Path) -> None:
    write_world(c.world, out)
    injected = {r.scenario_id: r for r in c.world.scenarios}
    # read_world reads this file back: keep its fields (seed, n_rows) beside the run's scores
    _jsonl(out / "scenarios.jsonl", [{**scenario_record(e), "seed": injected[e.scenario.uid].seed,
                                      "n_rows": injected[e.scenario.uid].n_rows} for e in c.entries])


# How to load graph.bin: in redledger's environment (where a bare `import dgl` fails, see
# detectors/graph_files.py), and in any environment whose DGL imports.
DGL_LOAD = ("from detectors.graph_files import load_graphs; graphs, labels = load_graphs('graph.bin'); "
            "g = graphs[0]")
DGL_LOAD_ELSEWHERE = "import dgl; graphs, labels = dgl.load_graphs('graph.bin'); g = graphs[0]"


def dgl_graph(c: RunContent, out: Path) -> None:
    """One DGL graph: accounts as nodes, transactions as edges with raw features, label,
    typology code, timestamp and the temporal 60/20/20 split masks."""
    data = from_ledger(c.world.ledger, c.world.n_accounts)
    split = temporal_split(data)
    g = make_graph(data.src, data.dst, data.n_nodes)
    g.edata["feat"] = torch.from_numpy(edge_features(data))
    g.edata["label"] = torch.from_numpy(data.y.astype(np.int64))
    g.edata["typology"] = torch.from_numpy(data.typology.astype(np.int64))
    g.edata["timestamp"] = torch.from_numpy(data.t.astype(np.int64))
    for name in ("train", "val", "test"):
        g.edata[f"{name}_mask"] = torch.from_numpy(getattr(split, name))
    labels = {"n_laundering": torch.tensor([int(data.y.sum())])}
    save_graphs(out / "graph.bin", [g], labels)
    (out / "graph.json").write_text(json.dumps({
        "nodes": int(data.n_nodes), "edges": int(data.n_edges), "typologies": list(data.typologies),
        "edata": ["feat", "label", "typology", "timestamp", "train_mask", "val_mask", "test_mask"],
        "content_sha256": content_digest(*load_graphs(out / "graph.bin")),  # as a user loads it
        "load": DGL_LOAD, "load_elsewhere": DGL_LOAD_ELSEWHERE}, indent=2, sort_keys=True) + "\n")


def _prompt(s: Scenario, c: RunContent) -> str:
    """The planner prompt of the brief both answers address (typology, formats, size)."""
    brief = Brief(typology=s.primary_typology, channels=sorted({t.channel for t in s.transfers}),
                  complexity=int(np.clip(len(s.transfers) // 6 + 1, 1, 5)))
    return planner_prompt(brief, c.world)


def preferences(c: RunContent, out: Path) -> None:
    """Tournament matches as DPO pairs: the brief is the prompt, the winner is chosen.
    ``source`` is ``judge`` (the run's judge) or ``human`` (an expert's pairwise verdict)."""
    bodies = {e.scenario.uid: e.scenario for e in c.entries}
    rows = []
    store = RunStore(c.run_dir / STORE, readonly=True)
    try:
        def scenario(sid: str) -> Scenario:
            if sid not in bodies:
                bodies[sid] = store.scenario(sid)
            return bodies[sid]

        for m in c.matches:
            win, lose = (m["a"], m["b"]) if m["winner"] == "a" else (m["b"], m["a"])
            chosen, rejected = scenario(win), scenario(lose)
            verdict = json.loads(m["body"])
            rows.append({"prompt": _prompt(chosen, c), "chosen": chosen.model_dump_json(exclude={"lineage"}),
                         "rejected": rejected.model_dump_json(exclude={"lineage"}), "match_id": m["id"],
                         "round": m["round"], "source": "human" if m["kind"] == "human" else "judge",
                         "judge": verdict.get("judge"), "rationale": verdict.get("rationale")})
    finally:
        store.close()
    _jsonl(out / "preferences.jsonl", rows)


WRITERS = {
    "amlworld": amlworld,
    "amlsim": amlsim,
    "parquet": parquet,
    "dgl": dgl_graph,
    "preferences": preferences,
}

__all__ = ["WRITERS"]
