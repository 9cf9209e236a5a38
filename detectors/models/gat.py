"""GAT (DGL's GATConv, 4 heads concatenated); edge features enter via inputs and head."""

from __future__ import annotations

import torch
from torch import nn

from detectors._dgl import dgl
from detectors.models.common import EdgeGNN

HEADS = 4


class GAT(nn.Module):
    def __init__(self, hidden: int):
        super().__init__()
        self.conv = dgl.nn.GATConv(hidden, hidden // HEADS, HEADS, allow_zero_in_degree=True)

    def forward(self, g, h: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        return self.conv(g, h).flatten(1)


def build(node_in: int, edge_in: int, **kw) -> EdgeGNN:
    return EdgeGNN(GAT, node_in, edge_in, edge_aware=False, **kw)
