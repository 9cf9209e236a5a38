"""Ledger -> DGL graph, built from tensors: nodes are accounts, edges transactions.

`GraphData` holds one phase's graph (a directed multigraph over all node ids), its raw
edge features and node sums (for incremental updates), and the normalised model inputs.
`ball` cuts the exact L-hop neighbourhood that an edge set's scores depend on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from detectors._dgl import dgl
from detectors.data import TxData
from detectors.features import NodeSums, Normalizer, edge_features


@dataclass
class GraphData:
    """A phase graph with model-ready inputs.

    Attributes:
        g: DGL graph with ``ndata['deg_in'/'deg_out']`` (global degrees, float).
        edge_raw: raw edge features [E, F]; node sums: `NodeSums`.
        edge_x, node_x: normalised inputs (node_x without the ego column).
        y: float labels [E].
    """

    g: object
    edge_raw: torch.Tensor
    sums: NodeSums
    edge_x: torch.Tensor
    node_x: torch.Tensor
    y: torch.Tensor


def build_graph(data: TxData, ports: bool, edge_norm: Normalizer, node_norm: Normalizer) -> GraphData:
    """The graph of every edge in ``data`` with normalised inputs."""
    raw = torch.from_numpy(edge_features(data, ports))
    return assemble(data.src, data.dst, raw, data.n_nodes, data.y, edge_norm, node_norm)


def assemble(src, dst, raw: torch.Tensor, n_nodes: int, y, edge_norm: Normalizer,
             node_norm: Normalizer) -> GraphData:
    src_t = torch.as_tensor(np.asarray(src), dtype=torch.int64)
    dst_t = torch.as_tensor(np.asarray(dst), dtype=torch.int64)
    g = dgl.graph((src_t, dst_t), num_nodes=n_nodes)
    sums = NodeSums.build(src_t, dst_t, raw, n_nodes)
    g.ndata["deg_in"] = sums.in_deg.float()
    g.ndata["deg_out"] = sums.out_deg.float()
    return GraphData(g, raw, sums, edge_norm(raw), node_norm(sums.inputs()),
                     torch.as_tensor(np.asarray(y), dtype=torch.float32))


def fit_normalizers(data: TxData, ports: bool) -> tuple[Normalizer, Normalizer]:
    """Normalisers fitted on the training graph only (edges and the nodes it touches)."""
    from detectors.features import continuous_columns

    raw = torch.from_numpy(edge_features(data, ports))
    edge_norm = Normalizer.fit(raw, continuous_columns(ports))
    sums = NodeSums.build(torch.as_tensor(data.src), torch.as_tensor(data.dst), raw, data.n_nodes)
    active = (sums.in_deg + sums.out_deg) > 0
    x = sums.inputs()[active]
    node_norm = Normalizer.fit(x)
    return edge_norm, node_norm


def ball(g, nodes: torch.Tensor, hops: int) -> torch.Tensor:
    """Sorted ids of every node within ``hops`` of ``nodes``, following edges both ways."""
    seen = torch.zeros(g.num_nodes(), dtype=torch.bool)
    seen[nodes] = True
    frontier = torch.unique(nodes)
    for _ in range(hops):
        if len(frontier) == 0:
            break
        ins, _ = g.in_edges(frontier)
        _, outs = g.out_edges(frontier)
        nxt = torch.unique(torch.cat([ins, outs]))
        nxt = nxt[~seen[nxt]]
        seen[nxt] = True
        frontier = nxt
    return torch.nonzero(seen).squeeze(1)
