"""Incremental scoring of an injected scenario: only its k-hop neighbourhood is recomputed.

Why this is exact: a GNN with L layers scores an edge from the `context` of its endpoints
(the edges within L - 1 hops and their endpoints). New edges only join the scenario's own
endpoints, so the context in the injected graph is the context in the World graph plus
the new edges and accounts. Inside it we rebuild exactly what injection changes: the new
edges' features (ports continue each account's numbering), the endpoints' node sums and
degrees, and the subgraph with the new edges added. Everything else is read from the
World's `RawGraph`, normalised with each detector's own normalisers, so detectors with
the same features share one prepared World.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import torch

from detectors._dgl import dgl
from detectors.data import TxData, from_ledger
from detectors.features import NodeSums, edge_features, port_numbers
from detectors.graph import RawGraph, context


@dataclass
class WorldGraph:
    """A World prepared once for scoring injections (what the adversary keeps): its edges,
    and for GNNs its `RawGraph` (None for detectors that rescore from ``data``)."""

    data: TxData
    gd: RawGraph | None


def as_scenario_data(rows: pa.Table | TxData, world: WorldGraph) -> TxData:
    """Scenario rows as TxData on the World's node ids; new accounts (negative ids, as
    `compile` emits them) become ids after the World's last node."""
    if isinstance(rows, TxData):
        return rows
    n = world.data.n_nodes
    cols = {}
    for c in ("src_account", "dst_account"):
        ids = rows.column(c).to_numpy().astype(np.int64)
        cols[c] = pa.array(np.where(ids < 0, n - ids - 1, ids))
    table = rows
    for c, arr in cols.items():
        table = table.set_column(table.schema.get_field_index(c), c, arr)
    data = from_ledger(table, n_nodes=n, source="scenario rows")
    return data


def scenario_parts(scenario, world: WorldGraph) -> tuple[TxData, np.ndarray | None]:
    """A scenario to score as TxData on the World's node ids, and the World edges its rows
    ride (None when it rides none). ``scenario`` is compiled rows, TxData, or a compiled
    scenario (anything with ``rows`` and ``ridden``: rows riding background payments)."""
    if not hasattr(scenario, "ridden"):
        return as_scenario_data(scenario, world), None
    ridden = scenario.ridden[scenario.ridden >= 0]
    return as_scenario_data(scenario.rows, world), (ridden if len(ridden) else None)


def _ports_after(world: TxData, sc: TxData) -> np.ndarray:
    """Port features of the scenario edges, numbered after each account's existing ports."""
    out = np.zeros((sc.n_edges, 2), dtype=np.float32)
    for col, (owner_w, other_w, owner_s, other_s) in enumerate(
            [(world.src, world.dst, sc.src, sc.dst), (world.dst, world.src, sc.dst, sc.src)]):
        keep = np.isin(owner_w, np.unique(owner_s))
        owner = np.concatenate([owner_w[keep], owner_s])
        other = np.concatenate([other_w[keep], other_s])
        n = int(max(owner.max(), other.max()) + 1)
        ranks = port_numbers(owner, other, n)[0]
        out[:, col] = np.log1p(ranks[keep.sum():])
    return out


@dataclass
class Injection:
    """What a scenario's injection changes inside its context, independent of any
    detector's weights and normalisers: detectors with the same layers and features on
    the same World share one.

    Attributes:
        lg: local graph of the context edges, then the scenario's edges, with
            ``ndata['deg_in'/'deg_out']`` after injection.
        edge_raw: raw features of those edges, in that order.
        sums: node sums of the local nodes after injection.
        ends: bool flag of the local nodes that are the scenario's endpoints (ego IDs).
        n_context: how many of the edges are the World's (the scenario's follow).
    """

    lg: object
    edge_raw: torch.Tensor
    sums: NodeSums
    ends: torch.Tensor
    n_context: int


def injection(world: WorldGraph, sc: TxData, layers: int, ports: bool) -> Injection:
    """The `Injection` of ``sc`` into ``world`` for ``layers``-layer models."""
    g, gd = world.gd.g, world.gd
    n_old = g.num_nodes()
    n_new = max(0, max(sc.n_nodes, int(max(sc.src.max(), sc.dst.max())) + 1) - n_old)
    ends = np.unique(np.concatenate([sc.src, sc.dst]))
    old_ends = torch.as_tensor(ends[ends < n_old])
    if len(old_ends):
        nodes, parent = context(g, old_ends, layers)
    else:
        nodes = parent = torch.zeros(0, dtype=torch.int64)
    # local ids: context nodes first (in id order), then new accounts
    n_loc = len(nodes) + n_new
    pos = torch.full((n_old + n_new,), -1, dtype=torch.int64)
    pos[nodes] = torch.arange(len(nodes))
    pos[n_old:] = torch.arange(len(nodes), n_loc)
    raw = torch.from_numpy(edge_features(sc, ports=False))
    if ports:
        raw = torch.cat([raw, torch.from_numpy(_ports_after(world.data, sc))], dim=1)
    s_src, s_dst = pos[torch.as_tensor(sc.src)], pos[torch.as_tensor(sc.dst)]
    f = gd.sums.in_sum.shape[1]
    pad = lambda t, shape: torch.cat([t, torch.zeros((n_new,) + shape, dtype=t.dtype)])  # noqa: E731
    raw64, ones = raw.double(), torch.ones(sc.n_edges, dtype=torch.float64)
    sums = NodeSums(pad(gd.sums.in_sum[nodes], (f,)).index_add_(0, s_dst, raw64),
                    pad(gd.sums.out_sum[nodes], (f,)).index_add_(0, s_src, raw64),
                    pad(gd.sums.in_deg[nodes], ()).index_add_(0, s_dst, ones),
                    pad(gd.sums.out_deg[nodes], ()).index_add_(0, s_src, ones))
    a, b = g.find_edges(parent)
    lg = dgl.graph((torch.cat([pos[a], s_src]), torch.cat([pos[b], s_dst])), num_nodes=n_loc)
    lg.ndata["deg_in"] = sums.in_deg.float()
    lg.ndata["deg_out"] = sums.out_deg.float()
    flag = torch.zeros(n_loc, dtype=torch.bool)
    flag[torch.cat([s_src, s_dst])] = True
    return Injection(lg, torch.cat([gd.edge_raw[parent], raw]), sums, flag, len(parent))


def injected_scores(model, cfg, norms, inj: Injection, shared: dict | None = None) -> np.ndarray:
    """Probabilities of the scenario's edges after injection, from the model on its context.
    Detectors with equal normalisers (trained on the same graph) share the normalised
    inputs through ``shared``."""
    edge_norm, node_norm = norms
    key = ("inputs", id(inj), edge_norm.key(), node_norm.key())
    if shared is not None and key in shared:
        x, e = shared[key]
    else:
        x, e = node_norm(inj.sums.inputs()), edge_norm(inj.edge_raw)
        if shared is not None:
            shared[key] = x, e
    if cfg.ego_ids:
        x = torch.cat([x, inj.ends.float().unsqueeze(1)], dim=1)
    model.eval()
    with torch.no_grad():
        logits = model(inj.lg, (x, e), only=torch.arange(inj.n_context, inj.lg.num_edges()))
    return torch.sigmoid(logits).numpy()


__all__ = ["Injection", "WorldGraph", "as_scenario_data", "injected_scores", "injection"]
