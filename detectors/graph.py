"""Ledger -> DGL graph, built from tensors: nodes are accounts, edges transactions.

`RawGraph` holds a graph (a directed multigraph over all node ids) with its raw edge
features and node sums: what incremental updates read, and independent of any detector's
normalisers, so detectors with the same features share one. `GraphData` adds the
normalised model inputs of one phase. `context` cuts exactly the nodes and edges that an
edge set's scores depend on.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from detectors._dgl import dgl
from detectors.data import TxData
from detectors.features import NodeSums, Normalizer, continuous_columns, edge_features


@dataclass
class RawGraph:
    """A graph with ``ndata['deg_in'/'deg_out']`` (float), raw edge features [E, F] and
    `NodeSums`; no normalised copies."""

    g: object
    edge_raw: torch.Tensor
    sums: NodeSums


def raw_graph(data: TxData, ports: bool) -> RawGraph:
    """The graph of every edge in ``data`` with raw features (no normalisation)."""
    raw = torch.from_numpy(edge_features(data, ports))
    src = torch.as_tensor(data.src, dtype=torch.int64)
    dst = torch.as_tensor(data.dst, dtype=torch.int64)
    g = dgl.graph((src, dst), num_nodes=data.n_nodes)
    sums = NodeSums.build(src, dst, raw, data.n_nodes)
    g.ndata["deg_in"] = sums.in_deg.float()
    g.ndata["deg_out"] = sums.out_deg.float()
    return RawGraph(g, raw, sums)


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
    rg = raw_graph(data, ports)
    if edge_norm is None or node_norm is None:
        edge_norm, node_norm = _fit_normalizers(rg.edge_raw, rg.sums, ports)
    return normalised(rg, data.y, (edge_norm, node_norm))


def normalised(rg: RawGraph, y, norms: tuple[Normalizer, Normalizer]) -> GraphData:
    """``rg`` with model inputs normalised by ``norms`` (edge, node) and labels ``y``."""
    edge_norm, node_norm = norms
    return GraphData(rg.g, rg.edge_raw, rg.sums, edge_norm(rg.edge_raw), node_norm(rg.sums.inputs()),
                     torch.as_tensor(y, dtype=torch.float32), norms)


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


def context(g, ends: torch.Tensor, layers: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(sorted node ids, sorted edge ids) on which the ``layers``-layer scores of edges
    between ``ends`` depend: every edge with an endpoint within ``layers - 1`` hops, and
    the endpoints of those edges.

    This is exact and smaller than the induced subgraph of the ``layers``-hop ball: a node
    d hops away enters the score only through its representation after ``layers - d``
    layers, so a node ``layers`` hops away contributes just its input features, and the
    edges among such nodes (most of the ball's edges around hub accounts) never matter.
    """
    inner = ball(g, ends, layers - 1)
    eids = torch.unique(torch.cat([g.in_edges(inner, form="eid"), g.out_edges(inner, form="eid")]))
    a, b = g.find_edges(eids)
    return torch.unique(torch.cat([a, b, inner])), eids
