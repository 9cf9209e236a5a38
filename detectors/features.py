"""Edge and node input features for the GNNs, computed from tensors, plus their normaliser.

Edge features: log amounts (USD), round-number flags, cross-currency and self-loop flags,
channel and payment-currency one-hots, hour-of-day and day-of-week on the unit circle, and
optionally Multi-GNN port numbers. No absolute time is used, so that a model trained on
one period applies to the next.

Node inputs are aggregates of incident edges (log degrees, mean in- and out-edge
features), kept as sums and counts so that injected edges can update them incrementally.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from detectors.data import TxData
from graph_schema.tables import CHANNELS, CURRENCIES

N_BASE = 6 + len(CHANNELS) + len(CURRENCIES) + 4
CONTINUOUS = [0, 1]  # columns standardised by the normaliser (plus port columns)


def port_numbers(src: np.ndarray, dst: np.ndarray, n_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Multi-GNN port numbering: for edge u->v, v's rank among u's out-neighbours and u's
    rank among v's in-neighbours, ranked by first appearance in edge order.

    Edge order (not time) defines 'first', so that appending edges never renumbers the
    ports of existing edges.
    """
    out_port = _ranks(src, dst, n_nodes)
    in_port = _ranks(dst, src, n_nodes)
    return out_port, in_port


def _ranks(owner: np.ndarray, other: np.ndarray, n_nodes: int) -> np.ndarray:
    if len(owner) == 0:
        return np.zeros(0, dtype=np.int64)
    key = owner * n_nodes + other
    uniq, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    pair_owner = uniq // n_nodes
    order = np.lexsort((first, pair_owner))
    rank = np.empty(len(uniq), dtype=np.int64)
    sorted_owner = pair_owner[order]
    starts = np.searchsorted(sorted_owner, sorted_owner, side="left")
    rank[order] = np.arange(len(uniq)) - starts
    return rank[inverse]


def edge_features(data: TxData, ports: bool = False) -> np.ndarray:
    """Raw (unnormalised) edge features, float32 of shape [E, N_BASE (+2 with ports)]."""
    e = data.n_edges
    x = np.zeros((e, N_BASE + (2 if ports else 0)), dtype=np.float32)
    x[:, 0] = np.log1p(data.amount_usd)
    x[:, 1] = np.log1p(data.received_usd)
    x[:, 2] = (np.abs(np.round(data.amount_local) - data.amount_local) < 1e-9) & (
        np.round(data.amount_local) % 100 == 0)
    x[:, 3] = x[:, 2] * (np.round(data.amount_local) % 1000 == 0)
    x[:, 4] = data.pay_cur != data.recv_cur
    x[:, 5] = data.src == data.dst
    rows = np.arange(e)
    x[rows, 6 + data.channel.astype(np.int64)] = 1.0
    x[rows, 6 + len(CHANNELS) + data.pay_cur.astype(np.int64)] = 1.0
    hour = (data.t % 86_400) / 86_400 * 2 * np.pi
    wday = ((data.t // 86_400 + 3) % 7) / 7 * 2 * np.pi  # 1970-01-01 was a Thursday
    base = 6 + len(CHANNELS) + len(CURRENCIES)
    x[:, base:base + 4] = np.column_stack([np.sin(hour), np.cos(hour), np.sin(wday), np.cos(wday)])
    if ports:
        out_p, in_p = port_numbers(data.src, data.dst, data.n_nodes)
        x[:, N_BASE] = np.log1p(out_p)
        x[:, N_BASE + 1] = np.log1p(in_p)
    return x


@dataclass
class NodeSums:
    """Per-node sums of incident edge features and degrees (float64 for exact updates)."""

    in_sum: torch.Tensor
    out_sum: torch.Tensor
    in_deg: torch.Tensor
    out_deg: torch.Tensor

    @classmethod
    def build(cls, src, dst, ex: torch.Tensor, n_nodes: int) -> NodeSums:
        src = torch.as_tensor(src)
        dst = torch.as_tensor(dst)
        ex = ex.double()
        f = ex.shape[1]
        in_sum = torch.zeros(n_nodes, f, dtype=torch.float64).index_add_(0, dst, ex)
        out_sum = torch.zeros(n_nodes, f, dtype=torch.float64).index_add_(0, src, ex)
        ones = torch.ones(len(src), dtype=torch.float64)
        in_deg = torch.zeros(n_nodes, dtype=torch.float64).index_add_(0, dst, ones)
        out_deg = torch.zeros(n_nodes, dtype=torch.float64).index_add_(0, src, ones)
        return cls(in_sum, out_sum, in_deg, out_deg)

    def inputs(self, nodes: torch.Tensor | None = None) -> torch.Tensor:
        """Node inputs [log1p in-degree, log1p out-degree, mean in-edge x, mean out-edge x]."""
        sl = slice(None) if nodes is None else nodes
        ind, outd = self.in_deg[sl], self.out_deg[sl]
        mean_in = self.in_sum[sl] / ind.clamp(min=1).unsqueeze(1)
        mean_out = self.out_sum[sl] / outd.clamp(min=1).unsqueeze(1)
        return torch.cat([torch.log1p(ind).unsqueeze(1), torch.log1p(outd).unsqueeze(1),
                          mean_in, mean_out], dim=1).float()


@dataclass
class Normalizer:
    """Standardisation fitted on training data: (x - mean) / std on chosen columns."""

    mean: torch.Tensor
    std: torch.Tensor

    @classmethod
    def fit(cls, x: torch.Tensor, columns: list[int] | None = None) -> Normalizer:
        cols = list(range(x.shape[1])) if columns is None else columns
        mean = torch.zeros(x.shape[1])
        std = torch.ones(x.shape[1])
        if len(x):
            mean[cols] = x[:, cols].double().mean(0).float()
            std[cols] = x[:, cols].double().std(0).float().clamp(min=1e-6)
        return cls(mean, std)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std

    def state(self) -> dict:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    def key(self) -> bytes:
        """Equal for normalisers that transform identically."""
        return self.mean.numpy().tobytes() + b"|" + self.std.numpy().tobytes()

    @classmethod
    def from_state(cls, s: dict) -> Normalizer:
        return cls(torch.tensor(s["mean"]), torch.tensor(s["std"]))


def continuous_columns(ports: bool) -> list[int]:
    return CONTINUOUS + ([N_BASE, N_BASE + 1] if ports else [])
