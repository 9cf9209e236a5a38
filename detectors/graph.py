"""Ledger -> DGL graph, built from tensors: nodes are accounts, edges transactions.

`GraphData` holds one phase's graph (a directed multigraph over all node ids), its raw
edge features and node sums (for incremental updates), and the normalised model inputs.
`ball` cuts the exact L-hop neighbourhood that an edge set's scores depend on.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from detectors._dgl import dgl
from detectors.data import TxData
from detectors.features import NodeSums, Normalizer, continuous_columns, edge_features


@dataclass
class GraphData:
    """A phase graph with model-ready inputs.

    Attributes:
        g: DGL graph with ``ndata['deg_in'/'deg_out']`` (global degrees, float).
        edge_raw: raw edge features [E, F]; node sums: `NodeSums`.
        edge_x, node_x: normalised inputs (node_x without the ego column).
        y: float labels [E].
        norms: the (edge, node) normalisers used, fitted on the training graph.
    """

    g: object
    edge_raw: torch.Tensor
    sums: NodeSums
    edge_x: torch.Tensor
    node_x: torch.Tensor
    y: torch.Tensor
    norms: tuple[Normalizer, Normalizer]


def build_graph(data: TxData, ports: bool, edge_norm: Normalizer | None = None,
                node_norm: Normalizer | None = None) -> GraphData:
    """The graph of every edge in ``data`` with normalised inputs.

    Without normalisers, they are fitted on this graph: pass the training graph.
    """
    raw = torch.from_numpy(edge_features(data, ports))
    src = torch.as_tensor(data.src, dtype=torch.int64)
    dst = torch.as_tensor(data.dst, dtype=torch.int64)
    g = dgl.graph((src, dst), num_nodes=data.n_nodes)
    sums = NodeSums.build(src, dst, raw, data.n_nodes)
    g.ndata["deg_in"] = sums.in_deg.float()
    g.ndata["deg_out"] = sums.out_deg.float()
    if edge_norm is None or node_norm is None:
        edge_norm, node_norm = _fit_normalizers(raw, sums, ports)
    return GraphData(g, raw, sums, edge_norm(raw), node_norm(sums.inputs()),
                     torch.as_tensor(data.y, dtype=torch.float32), (edge_norm, node_norm))


def _fit_normalizers(raw: torch.Tensor, sums: NodeSums, ports: bool) -> tuple[Normalizer, Normalizer]:
    """Edge normaliser on the continuous columns; node normaliser on the nodes with edges."""
    edge_norm = Normalizer.fit(raw, continuous_columns(ports))
    active = (sums.in_deg + sums.out_deg) > 0
    return edge_norm, Normalizer.fit(sums.inputs()[active])


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
