"""GINe: GIN with edge features in the messages (Hu et al.), the Multi-GNN base model.

message(u->v) = ReLU(h_u + e_uv); h_v' = MLP((1 + eps) h_v + sum of messages). The edge
state e_uv is already a learned embedding of the edge features (and is refreshed per layer
with edge updates), so no per-layer edge projection is spent on every edge.
"""

from __future__ import annotations

import torch
from torch import nn

from detectors._dgl import dgl
from detectors.models.common import EdgeGNN, gather_src, mlp


class GINEConv(nn.Module):
    def __init__(self, hidden: int):
        super().__init__()
        self.eps = nn.Parameter(torch.zeros(1))
        self.mlp = mlp(hidden, hidden, hidden)

    def forward(self, g, h: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        m = torch.relu(gather_src(g, h) + e)
        return self.mlp((1 + self.eps) * h + dgl.ops.copy_e_sum(g, m))


def build(node_in: int, edge_in: int, **kw) -> EdgeGNN:
    return EdgeGNN(GINEConv, node_in, edge_in, **kw)
