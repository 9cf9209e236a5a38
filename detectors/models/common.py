"""The skeleton every GNN detector shares: encoders, L message-passing layers, edge head.

A model differs only in its convolution, a module ``conv(g, h, e) -> h'``. The Multi-GNN
adaptations are options here: reverse message passing (a second convolution on the
reversed graph, mixed in), and edge updates (edge states refreshed from their endpoints
after every layer). Port numbers and ego IDs enter as input features (see features.py and
train.py). LayerNorm, not BatchNorm, keeps a node's output independent of the rest of the
batch, which is what makes subgraph rescoring exact.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from detectors._dgl import dgl


class _Gather(torch.autograd.Function):
    """``x[idx]`` whose backward sums the gradient rows per node with DGL's sparse kernel
    over ``agg`` (a graph whose destinations are ``idx``): a plain index_select forward and
    a CSR sum backward are several times faster than DGL's SDDMM (GSDDMM) on CPU."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, idx: torch.Tensor, agg) -> torch.Tensor:
        ctx.agg = agg
        return x.index_select(0, idx)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return dgl.ops.copy_e_sum(ctx.agg, grad.contiguous()), None, None


def gather_src(g, x: torch.Tensor) -> torch.Tensor:
    """Rows of node tensor ``x`` at every edge's source, in edge order."""
    return _Gather.apply(x, g.edges()[0], dgl.reverse(g))


def gather_dst(g, x: torch.Tensor) -> torch.Tensor:
    """Rows of node tensor ``x`` at every edge's destination, in edge order."""
    return _Gather.apply(x, g.edges()[1], g)


def mlp(d_in: int, d_hidden: int, d_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_in, d_hidden), nn.ReLU(), nn.Linear(d_hidden, d_out))


class EdgeMLP(nn.Module):
    """MLP over [h_src, h_dst, e] for every edge, with the first layer split by part.

    W [h_u; h_v; e] = (W_u h)[u] + (W_v h)[v] + W_e e: the node parts are computed once per
    node and gathered, which is several times cheaper than a per-edge concatenation.
    """

    def __init__(self, hidden: int, d_out: int, edge_in: int | None = None, width: int | None = None):
        super().__init__()
        width = width or hidden
        self.src = nn.Linear(hidden, width)
        self.dst = nn.Linear(hidden, width, bias=False)
        self.edge = nn.Linear(edge_in or hidden, width, bias=False)
        self.out = nn.Linear(width, d_out)

    def forward(self, g, h: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        # Gathers whose backward is a sparse sum, far cheaper than index_put.
        z = gather_src(g, self.src(h)) + gather_dst(g, self.dst(h)) + self.edge(e)
        return self.out(torch.relu(z))


class EdgeGNN(nn.Module):
    """Edge classifier: logits [E] for the edges of ``g``."""

    def __init__(self, conv: Callable[[int], nn.Module], node_in: int, edge_in: int,
                 hidden: int = 64, layers: int = 2, dropout: float = 0.1,
                 reverse_mp: bool = False, edge_updates: bool = False, edge_aware: bool = True):
        super().__init__()
        # Convolutions that ignore edge states need none: the head reads raw edge inputs.
        self.edge_states = edge_aware or edge_updates
        self.node_enc = nn.Linear(node_in, hidden)
        self.edge_enc = nn.Linear(edge_in, hidden) if self.edge_states else None
        self.convs = nn.ModuleList(conv(hidden) for _ in range(layers))
        self.rconvs = nn.ModuleList(conv(hidden) for _ in range(layers)) if reverse_mp else None
        self.mix = nn.ModuleList(nn.Linear(2 * hidden, hidden) for _ in range(layers)) if reverse_mp else None
        self.norms = nn.ModuleList(nn.LayerNorm(hidden) for _ in range(layers))
        self.eupd = nn.ModuleList(EdgeMLP(hidden, hidden) for _ in range(layers)) if edge_updates else None
        self.drop = nn.Dropout(dropout)
        # The head runs once per edge, so it is kept narrow: most of an epoch is spent here.
        self.head = EdgeMLP(hidden, 1, None if self.edge_states else edge_in, width=max(8, hidden // 2))

    def forward(
        self, g, feats: tuple[torch.Tensor, torch.Tensor], only: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Logits of every edge of ``g``, or of the edges ``only`` (ids, in that order).

        With ``only``, the last layer runs on the edges that touch those edges' endpoints
        (every endpoint keeps all its in- and out-edges, so its output is exact) and the
        head on ``only`` alone; the earlier layers run on all of ``g``.
        """
        x, e = feats
        h = self.node_enc(x)
        if self.edge_enc is not None:
            e = self.edge_enc(e)
        last = len(self.convs) - 1
        rg = self._reverse(g)
        for i in range(len(self.convs)):
            if only is not None and i == last:
                g, e, only = _around(g, e, only)
                rg = self._reverse(g)
            h, e = self._layer(i, g, rg, h, e)
        if only is not None:
            g, e = dgl.edge_subgraph(g, only, relabel_nodes=False), e[only]
        return self.head(g, h, e).squeeze(-1)

    def _reverse(self, g):
        """The reversed graph for reverse message passing (None without it): edge i of it is
        edge i of ``g`` reversed, so edge states stay aligned."""
        if self.rconvs is None:
            return None
        rg = dgl.reverse(g)
        for a, b in (("deg_in", "deg_out"), ("deg_out", "deg_in")):
            if a in g.ndata:
                rg.ndata[b] = g.ndata[a]
        return rg

    def _layer(self, i: int, g, rg, h: torch.Tensor, e: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        m = self.convs[i](g, h, e)
        if rg is not None:
            m = self.mix[i](torch.cat([m, self.rconvs[i](rg, h, e)], dim=1))
        h = h + self.drop(torch.relu(self.norms[i](m)))
        if self.eupd is not None:
            e = e + self.eupd[i](g, h, e)
        return h, e


def _around(g, e: torch.Tensor, only: torch.Tensor):
    """(the edges of ``g`` touching the endpoints of ``only``, on all of g's nodes; their
    states; the positions of ``only`` among them)."""
    src, dst = g.find_edges(only)
    ends = torch.unique(torch.cat([src, dst]))
    eids = torch.unique(torch.cat([g.in_edges(ends, form="eid"), g.out_edges(ends, form="eid")]))
    sub = dgl.edge_subgraph(g, eids, relabel_nodes=False)
    return sub, e[eids], torch.searchsorted(eids, only)
