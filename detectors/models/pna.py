"""PNA (Corso et al.): mean/min/max/std aggregators x identity/amplification/attenuation
scalers, with edge features in the messages. Built from DGL's builtin reducers (fast on
heavy-tailed degrees, unlike mailbox UDFs)."""

from __future__ import annotations

import torch
from torch import nn

from detectors._dgl import fn
from detectors.models.common import EdgeGNN


class PNAConv(nn.Module):
    def __init__(self, hidden: int, delta: float = 1.0):
        super().__init__()
        self.pre_h = nn.Linear(hidden, hidden)
        self.pre_e = nn.Linear(hidden, hidden, bias=False)
        self.post = nn.Linear(13 * hidden, hidden)
        self.register_buffer("delta", torch.tensor(float(delta)))

    def forward(self, g, h: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        with g.local_scope():
            # pre-transform W [h_u; e] = W_h h_u + W_e e, with DGL's builtin kernels
            g.ndata["a"] = self.pre_h(h)
            g.edata["b"] = self.pre_e(e)
            g.apply_edges(fn.u_add_e("a", "b", "m"))
            m = g.edata["m"]
            g.edata["mm"] = torch.cat([m, m * m], dim=1)
            g.update_all(fn.copy_e("mm", "x"), fn.mean("x", "moments"))
            g.update_all(fn.copy_e("m", "x"), fn.max("x", "max"))
            g.update_all(fn.copy_e("m", "x"), fn.min("x", "min"))
            d = m.shape[1]
            g.ndata["mean"], g.ndata["sq"] = g.ndata["moments"][:, :d], g.ndata["moments"][:, d:]
            mean = g.ndata["mean"]
            std = (g.ndata["sq"] - mean**2).clamp(min=0).add(1e-5).sqrt()
            agg = torch.cat([mean, g.ndata["max"], g.ndata["min"], std], dim=1)
            logd = torch.log1p(g.in_degrees().float()).unsqueeze(1)
            scaled = torch.cat([agg, agg * logd / self.delta, agg * self.delta / logd.clamp(min=1e-6)
                                * (logd > 0)], dim=1)
            return self.post(torch.cat([h, scaled], dim=1))


def build(node_in: int, edge_in: int, delta: float = 1.0, **kw) -> EdgeGNN:
    return EdgeGNN(lambda hidden: PNAConv(hidden, delta), node_in, edge_in, **kw)
