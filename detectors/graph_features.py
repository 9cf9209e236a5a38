"""Engineered graph features for the tree and rule baselines (vectorised numpy).

Per transaction: its own features; per endpoint: degrees, distinct counterparties and
amount sums over the visible graph; time-window counts and sums (the payer's outflow and
the payee's inflow in the previous 24 h and 72 h; the payee's outflow in the next 48 h,
which measures pass-through); and short cycles (a reverse edge exists; 2-paths closing a
triangle, with hub accounts left out so that the count stays cheap).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from detectors.data import TxData
from detectors.features import edge_features

HOUR = 3_600
WINDOWS_BACK = (24 * HOUR, 72 * HOUR)
WINDOW_FWD = 48 * HOUR
HUB_DEGREE = 500


def window_sums(owner: np.ndarray, t: np.ndarray, w: np.ndarray, at_owner: np.ndarray,
                at_t: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """For each query (at_owner, at_t): count and sum of w over the owner's events with
    time in [at_t + lo, at_t + hi)."""
    order = np.lexsort((t, owner))
    so, st, sw = owner[order], t[order], w[order]
    pad = max(abs(lo), abs(hi)) + 1
    base = int(min(st.min(initial=0), at_t.min(initial=0))) - pad
    span = int(max(st.max(initial=0), at_t.max(initial=0))) - base + pad + 1
    key = so * span + (st - base)
    csum = np.concatenate([[0.0], np.cumsum(sw)])
    q_lo = np.searchsorted(key, at_owner * span + (at_t + lo - base), side="left")
    q_hi = np.searchsorted(key, at_owner * span + (at_t + hi - base), side="left")
    return (q_hi - q_lo).astype(np.float64), csum[q_hi] - csum[q_lo]


def _distinct(owner: np.ndarray, other: np.ndarray, n: int) -> np.ndarray:
    pairs = np.unique(owner * n + other)
    return np.bincount(pairs // n, minlength=n).astype(np.float64)


def triangle_counts(src: np.ndarray, dst: np.ndarray, n: int) -> np.ndarray:
    """For each edge u->v, the number of 2-paths v->w->u (directed triangles), hubs excluded."""
    deg = np.bincount(src, minlength=n) + np.bincount(dst, minlength=n)
    keep = (deg[src] <= HUB_DEGREE) & (deg[dst] <= HUB_DEGREE) & (src != dst)
    a = sp.csr_matrix((np.ones(keep.sum()), (src[keep], dst[keep])), shape=(n, n))
    a.data[:] = 1.0
    a.sum_duplicates()
    a.data[:] = 1.0
    a2 = (a @ a).tocsr()
    out = np.zeros(len(src))
    idx = np.flatnonzero(keep)
    out[idx] = np.asarray(a2[dst[idx], src[idx]]).ravel()
    return out


def graph_features(data: TxData) -> tuple[np.ndarray, list[str]]:
    """Feature matrix [E, F] and feature names, from the edges of ``data`` only."""
    n = data.n_nodes
    src, dst, t, amt = data.src, data.dst, data.t, data.amount_usd
    cols: dict[str, np.ndarray] = {}
    base = edge_features(data)
    for j in range(base.shape[1]):
        cols[f"edge_{j}"] = base[:, j]
    out_deg = np.bincount(src, minlength=n).astype(np.float64)
    in_deg = np.bincount(dst, minlength=n).astype(np.float64)
    out_sum = np.bincount(src, weights=amt, minlength=n)
    in_sum = np.bincount(dst, weights=amt, minlength=n)
    out_distinct = _distinct(src, dst, n)
    in_distinct = _distinct(dst, src, n)
    for side, ids in (("src", src), ("dst", dst)):
        cols[f"{side}_out_deg"] = np.log1p(out_deg[ids])
        cols[f"{side}_in_deg"] = np.log1p(in_deg[ids])
        cols[f"{side}_fan_out"] = np.log1p(out_distinct[ids])
        cols[f"{side}_fan_in"] = np.log1p(in_distinct[ids])
        cols[f"{side}_out_sum"] = np.log1p(out_sum[ids])
        cols[f"{side}_in_sum"] = np.log1p(in_sum[ids])
        cols[f"{side}_flow_ratio"] = np.log1p(out_sum[ids]) - np.log1p(in_sum[ids])
    for w in WINDOWS_BACK:
        h = w // HOUR
        c, s = window_sums(src, t, amt, src, t, -w, 0)
        cols[f"src_out_count_{h}h"], cols[f"src_out_sum_{h}h"] = np.log1p(c), np.log1p(s)
        c, s = window_sums(dst, t, amt, dst, t, -w, 0)
        cols[f"dst_in_count_{h}h"], cols[f"dst_in_sum_{h}h"] = np.log1p(c), np.log1p(s)
        c, s = window_sums(dst, t, amt, src, t, -w, 0)
        cols[f"src_in_count_{h}h"], cols[f"src_in_sum_{h}h"] = np.log1p(c), np.log1p(s)
    c, s = window_sums(src, t, amt, dst, t, 1, WINDOW_FWD)
    cols["dst_out_count_next48h"] = np.log1p(c)
    cols["pass_through_next48h"] = np.minimum(s / np.maximum(amt, 1e-9), 10.0)
    rev = np.isin(dst * n + src, src * n + dst)
    cols["reverse_edge"] = rev.astype(np.float64)
    cols["triangles"] = np.log1p(triangle_counts(src, dst, n))
    names = list(cols)
    return np.column_stack([cols[k] for k in names]).astype(np.float32), names
