"""The one module that imports DGL; everything else does `from detectors._dgl import dgl`.

PyPI's newest Linux DGL wheel (2.1.0) ships GraphBolt binaries only for torch <= 2.2, and
`import dgl` imports `dgl.graphbolt` eagerly, which fails to load its C++ library on the
torch 2.13 we pin. redledger uses neither GraphBolt nor `dgl.sparse`, so an empty
`dgl.graphbolt` module is registered before the import: the rest of DGL (graphs, message
passing, nn modules, neighbour sampling in the C++ core) works unchanged.
"""

from __future__ import annotations

import os
import sys
import types

os.environ.setdefault("DGLBACKEND", "pytorch")
sys.modules.setdefault("dgl.graphbolt", types.ModuleType("dgl.graphbolt"))

import dgl  # noqa: E402
import dgl.function as fn  # noqa: E402

__all__ = ["dgl", "fn"]
