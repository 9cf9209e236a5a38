"""GraphSAGE with mean aggregation (DGL's SAGEConv); edge features enter via inputs and head."""

from __future__ import annotations

import torch
from torch import nn

from detectors._dgl import dgl
from detectors.models.common import EdgeGNN


class SAGE(nn.Module):
    def __init__(self, hidden: int):
        super().__init__()
        self.conv = dgl.nn.SAGEConv(hidden, hidden, "mean")

    def forward(self, g, h: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        return self.conv(g, h)


def build(node_in: int, edge_in: int, **kw) -> EdgeGNN:
    return EdgeGNN(SAGE, node_in, edge_in, edge_aware=False, **kw)
