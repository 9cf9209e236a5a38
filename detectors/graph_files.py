"""DGL graph files: save and load them through redledger's DGL import, and a digest of
their content.

`dgl.save_graphs` leaves uninitialised bytes in the file's header, so two saves of the same
graph differ in about a thousand bytes; what they hold does not. `content_digest` hashes
what a graph holds (node count, edges in order, every edge and node tensor by name, and the
labels dict), so an export can promise, and a test can check, identical content.

In redledger's environment, `import dgl` alone fails (DGL 2.1's GraphBolt does not load on
torch 2.13; see `detectors/_dgl.py`): load a file with `load_graphs` from here.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch

from detectors._dgl import dgl


def dgl_graph(src, dst, n_nodes: int):
    """A DGL graph of ``n_nodes`` nodes with edges ``src[i] -> dst[i]`` (numpy int arrays)."""
    return dgl.graph((torch.from_numpy(src), torch.from_numpy(dst)), num_nodes=n_nodes)


def save_graphs(path: str | Path, graphs: list, labels: dict[str, torch.Tensor] | None = None) -> None:
    dgl.save_graphs(str(path), graphs, labels or {})


def load_graphs(path: str | Path) -> tuple[list, dict[str, torch.Tensor]]:
    """(graphs, labels) as `dgl.load_graphs` returns them.

    Raises:
        FileNotFoundError: no file at ``path``.
    """
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: no DGL graph file here")
    return dgl.load_graphs(str(path))


def _tensor(h, name: str, t: torch.Tensor) -> None:
    t = t.detach().cpu().contiguous()
    h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
    h.update(t.numpy().tobytes())


def content_digest(graphs: list, labels: dict[str, torch.Tensor] | None = None) -> str:
    """SHA-256 of what ``graphs`` and ``labels`` hold, independent of the file's bytes."""
    h = hashlib.sha256()
    for i, g in enumerate(graphs):
        src, dst = g.edges(order="eid")
        h.update(f"graph {i}: {g.num_nodes()} nodes\n".encode())
        _tensor(h, "src", src)
        _tensor(h, "dst", dst)
        for kind, data in (("edata", g.edata), ("ndata", g.ndata)):
            for name in sorted(data.keys()):
                _tensor(h, f"{kind}.{name}", data[name])
    for name in sorted(labels or {}):
        _tensor(h, f"label.{name}", labels[name])
    return h.hexdigest()


__all__ = ["content_digest", "dgl_graph", "load_graphs", "save_graphs"]
