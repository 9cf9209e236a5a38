"""GINe: GIN with edge features in the messages (Hu et al.), the Multi-GNN base model.

message(u->v) = ReLU(h_u + e_uv); h_v' = MLP((1 + eps) h_v + sum of messages). The edge
state e_uv is already a learned embedding of the edge features (and is refreshed per layer
with edge updates), so no per-layer edge projection is spent on every edge.
"""

from __future__ import annotations

import torch
from torch import nn

from detectors._dgl import fn
from detectors.models.common import EdgeGNN, mlp


class GINEConv(nn.Module):
    def __init__(self, hidden: int):
        super().__init__()
        self.eps = nn.Parameter(torch.zeros(1))
        self.mlp = mlp(hidden, hidden, hidden)

    def forward(self, g, h: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        with g.local_scope():
            g.ndata["h"] = h
            g.edata["e"] = e
            g.apply_edges(fn.u_add_e("h", "e", "m"))
            g.edata["m"] = torch.relu(g.edata["m"])
            g.update_all(fn.copy_e("m", "m"), fn.sum("m", "agg"))
            return self.mlp((1 + self.eps) * h + g.ndata["agg"])


def build(node_in: int, edge_in: int, **kw) -> EdgeGNN:
    return EdgeGNN(GINEConv, node_in, edge_in, **kw)
