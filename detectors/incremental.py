"""Incremental scoring of an injected scenario: only its k-hop neighbourhood is recomputed.

Why this is exact: a GNN with L layers scores an edge from the L-hop neighbourhood of its
endpoints. New edges only join the scenario's own endpoints, so the ball around those
endpoints in the injected graph is the ball in the World graph plus the new accounts.
Inside it we rebuild exactly what injection changes: the new edges' features (ports
continue each account's numbering), the endpoints' node sums and degrees, and the
induced subgraph with the new edges added. Everything else is reused from the World graph.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import torch

from detectors._dgl import dgl
from detectors.data import TxData, from_ledger
from detectors.features import NodeSums, edge_features, port_numbers
from detectors.graph import GraphData, ball


@dataclass
class WorldGraph:
    """A World's graph prepared once for a trained detector (what the adversary keeps)."""

    data: TxData
    gd: GraphData


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


def injected_scores(model, cfg, norms, world: WorldGraph, sc: TxData) -> np.ndarray:
    """Probabilities of the scenario's edges after injection, from the k-hop update."""
    edge_norm, node_norm = norms
    g, gd = world.gd.g, world.gd
    n_old = g.num_nodes()
    n_new = max(sc.n_nodes, int(max(sc.src.max(), sc.dst.max())) + 1) - n_old
    ends = np.unique(np.concatenate([sc.src, sc.dst]))
    old_ends = torch.as_tensor(ends[ends < n_old])
    nodes = ball(g, old_ends, cfg.layers) if len(old_ends) else torch.zeros(0, dtype=torch.int64)
    sg = dgl.node_subgraph(g, nodes)
    parent = sg.edata[dgl.EID]
    # local ids: ball nodes first (sorted), then new accounts
    local = torch.cat([nodes, torch.arange(n_old, n_old + max(n_new, 0))])

    def to_local(ids: np.ndarray) -> torch.Tensor:
        return torch.searchsorted(local, torch.as_tensor(ids))  # local is sorted

    raw = torch.from_numpy(edge_features(sc, ports=False))
    if cfg.ports:
        raw = torch.cat([raw, torch.from_numpy(_ports_after(world.data, sc))], dim=1)
    s_src, s_dst = to_local(sc.src), to_local(sc.dst)
    n_loc = len(local)
    f = gd.sums.in_sum.shape[1]
    pad = lambda t, shape: torch.cat([t, torch.zeros((n_loc - len(nodes),) + shape, dtype=t.dtype)])  # noqa: E731
    in_sum = pad(gd.sums.in_sum[nodes], (f,)).index_add_(0, s_dst, raw.double())
    out_sum = pad(gd.sums.out_sum[nodes], (f,)).index_add_(0, s_src, raw.double())
    ones = torch.ones(sc.n_edges, dtype=torch.float64)
    in_deg = pad(gd.sums.in_deg[nodes], ()).index_add_(0, s_dst, ones)
    out_deg = pad(gd.sums.out_deg[nodes], ()).index_add_(0, s_src, ones)
    x = node_norm(NodeSums(in_sum, out_sum, in_deg, out_deg).inputs())
    a, b = sg.edges()
    lg = dgl.graph((torch.cat([a, s_src]), torch.cat([b, s_dst])), num_nodes=n_loc)
    lg.ndata["deg_in"] = in_deg.float()
    lg.ndata["deg_out"] = out_deg.float()
    e = torch.cat([gd.edge_x[parent], edge_norm(raw)])
    if cfg.ego_ids:
        flag = torch.zeros(n_loc, dtype=torch.bool)
        flag[torch.unique(torch.cat([s_src, s_dst]))] = True
        x = torch.cat([x, flag.float().unsqueeze(1)], dim=1)
    model.eval()
    with torch.no_grad():
        logits = model(lg, (x, e))
    return torch.sigmoid(logits[len(parent):]).numpy()


__all__ = ["WorldGraph", "as_scenario_data", "injected_scores"]
