"""GCN (Kipf & Welling) with symmetric normalisation by *global* degrees.

The degrees come from ``g.ndata['deg_in'/'deg_out']`` (degrees in the full graph, self loop
included) rather than from ``g`` itself, so a subgraph gives the same result as the graph.
"""

from __future__ import annotations

import torch
from torch import nn

from detectors._dgl import fn
from detectors.models.common import EdgeGNN


class GCNConv(nn.Module):
    def __init__(self, hidden: int):
        super().__init__()
        self.lin = nn.Linear(hidden, hidden)

    def forward(self, g, h: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        with g.local_scope():
            d_out = (g.ndata["deg_out"] + 1).rsqrt().unsqueeze(1)
            d_in = (g.ndata["deg_in"] + 1).rsqrt().unsqueeze(1)
            g.ndata["h"] = h * d_out
            g.update_all(fn.copy_u("h", "m"), fn.sum("m", "agg"))
            agg = g.ndata["agg"] * d_in + h * d_in * d_in
            return self.lin(agg)


def build(node_in: int, edge_in: int, **kw) -> EdgeGNN:
    return EdgeGNN(GCNConv, node_in, edge_in, edge_aware=False, **kw)
