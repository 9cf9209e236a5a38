"""detectors: ledger -> DGL graph, the detector zoo, temporal benchmarks, incremental scoring.

Filled by the detectors issue. DGL is imported only in `detectors/_dgl.py`.
"""
