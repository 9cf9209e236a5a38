"""Detector speed on 1M- and 5M-transaction Worlds.

Measures, per World size: a full-graph training epoch (forward, backward, step) of
GraphSAGE and GINe, inference throughput, and on the 1M World the median latency of
`score_injected` against full rescoring of the injected graph, in one run.

    python -m experiments.bench.detector_speed [--sizes 100000,500000] [--scenarios 40]

Targets (issue 3): epoch on 5M edges <= 5 s; inference >= 1M tx/s; score_injected median
<= 100 ms on the 1M World and >= 10x faster than full rescoring.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch


def _world(accounts: int):
    from detectors import from_ledger
    from graph_schema.baseline import inject_baseline
    from graph_schema.world import WorldConfig, generate_world

    cfg = WorldConfig(accounts=accounts, days=10, seed=1)
    w = inject_baseline(generate_world(cfg), cfg.laundering_share, cfg.seed)
    return w, from_ledger(w.ledger, w.n_accounts)


def epoch_and_inference(data, arch: str, repeats: int = 3) -> tuple[float, float]:
    from detectors.config import PRESETS, GNNConfig
    from detectors.graph import build_graph
    from detectors.models import BUILDERS

    cfg = GNNConfig(**PRESETS[arch])  # the detector's own width (GINe: 32)
    gd = build_graph(data, False)
    model = BUILDERS[arch](gd.node_x.shape[1], gd.edge_x.shape[1], hidden=cfg.hidden,
                           layers=cfg.layers)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    times = []
    for i in range(repeats + 1):
        t0 = time.perf_counter()
        loss = loss_fn(model(gd.g, (gd.node_x, gd.edge_x)), gd.y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if i:  # the first epoch warms up allocators
            times.append(time.perf_counter() - t0)
    model.eval()
    with torch.no_grad():
        t0 = time.perf_counter()
        model(gd.g, (gd.node_x, gd.edge_x))
        infer = time.perf_counter() - t0
    return statistics.median(times), data.n_edges / infer


def injected_latency(world, data, arch: str, n_scenarios: int) -> tuple[float, float, float]:
    from detectors import make, temporal_split
    from graph_schema import ScenarioError, compile
    from graph_schema.typologies import library

    det = make(arch, epochs=2, eval_every=1).fit(data, temporal_split(data))
    wg = det.prepare(data)
    rng = np.random.default_rng(0)
    names = sorted(library())
    fast, full, err = [], [], 0.0
    k = 0
    while len(fast) < n_scenarios:
        try:
            c = compile(library()[names[k % len(names)]].sample(rng), world, seed=k)
        except ScenarioError:
            continue
        finally:
            k += 1
        t0 = time.perf_counter()
        a = det.score_injected(wg, c.rows)
        fast.append(time.perf_counter() - t0)
        if len(full) < 5:
            t0 = time.perf_counter()
            b = det.rescore_full(wg, c.rows)
            full.append(time.perf_counter() - t0)
            err = max(err, float(np.abs(a - b).max()))
    return statistics.median(fast), statistics.median(full), err


def main() -> None:
    from detectors._memory import keep_freed_memory

    keep_freed_memory()  # as training does (see detectors/_memory.py)
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100000,500000", help="Account counts (10 days each).")
    ap.add_argument("--scenarios", type=int, default=40)
    args = ap.parse_args()
    rows, inj = [], []
    for acc in [int(x) for x in args.sizes.split(",")]:
        world, data = _world(acc)
        for arch in ("sage", "gine"):
            epoch, tps = epoch_and_inference(data, arch)
            rows.append((data.n_edges, arch, epoch, tps))
        if acc == int(args.sizes.split(",")[0]):
            for arch in ("sage", "gine"):
                inj.append((data.n_edges, arch, *injected_latency(world, data, arch, args.scenarios)))
        del world, data
    print("full-graph epoch (forward + backward + Adam step), untrained weights, 2 cores")
    print("edges       model  train_epoch_s  inference_tx_per_s")
    for e, arch, epoch, tps in rows:
        print(f"{e:>10,}  {arch:<5}  {epoch:>13.2f}  {tps:>18,.0f}")
    print("edges       model  score_injected_median_ms  full_rescore_median_ms  speedup  max_abs_diff")
    for e, arch, a, b, err in inj:
        print(f"{e:>10,}  {arch:<5}  {a * 1000:>24.1f}  {b * 1000:>22.1f}  {b / a:>7.1f}x  {err:.1e}")


if __name__ == "__main__":
    main()
