"""Detector speed on 1M- and 5M-transaction Worlds.

Measures, per World size: a full-graph training epoch (forward, backward, step) of
GraphSAGE and GINe (median of 5 after a warm-up), inference throughput, the median latency
of `score_injected` against full rescoring of the injected graph, and, in a fresh process,
neighbour-sampled training: seconds per mini-batch and the memory it adds beyond the
graph (peak RSS during 30 batches minus RSS before them).

    python -m experiments.bench.detector_speed [--sizes 100000,500000] [--scenarios 40]

Targets (issues 3 and 13): epoch on 5M edges <= 5 s for both; inference >= 1M tx/s;
score_injected median <= 100 ms on the 1M and the 5M World and >= 10x faster than full
rescoring; sampled training memory that does not grow with the graph.
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


def epoch_and_inference(data, arch: str, repeats: int = 5) -> tuple[float, float]:
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

    # full-graph training: this measures scoring, and sampled training at 5M takes minutes
    det = make(arch, epochs=2, eval_every=1, sample_above=0).fit(data, temporal_split(data))
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


def sampled_memory(accounts: int, arch: str = "gine", batches: int = 30) -> dict:
    """Sampled mini-batch training on a fresh graph: seconds per batch and the peak RSS it
    adds beyond the graph (sampled every 10 ms)."""
    import threading

    import psutil

    from detectors._memory import keep_freed_memory
    from detectors.config import PRESETS, GNNConfig
    from detectors.graph import build_graph
    from detectors.models import BUILDERS
    from detectors.train import sample_batch

    keep_freed_memory()
    _, data = _world(accounts)
    gd = build_graph(data, False)
    cfg = GNNConfig(**{**PRESETS[arch], "sampled": True, "batch_size": 8192, "fanouts": [10, 5]})
    model = BUILDERS[arch](gd.node_x.shape[1], gd.edge_x.shape[1], hidden=cfg.hidden, layers=cfg.layers)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    proc, peak, stop = psutil.Process(), [0], threading.Event()

    def watch() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            stop.wait(0.01)

    order = torch.randperm(gd.g.num_edges(), generator=torch.Generator().manual_seed(0))
    before = proc.memory_info().rss
    t = threading.Thread(target=watch, daemon=True)
    t.start()
    t0 = time.perf_counter()
    for i in range(batches):
        sg, x, e, seed_mask, parent = sample_batch(cfg, gd, order[i * 8192:(i + 1) * 8192])
        loss = loss_fn(model(sg, (x, e))[seed_mask], gd.y[parent][seed_mask])
        opt.zero_grad()
        loss.backward()
        opt.step()
    per_batch = (time.perf_counter() - t0) / batches
    stop.set()
    t.join()
    return {"edges": data.n_edges, "arch": arch, "batch_s": per_batch,
            "epoch_s": per_batch * data.n_edges / 8192, "extra_mib": (peak[0] - before) / 2**20,
            "graph_rss_mib": before / 2**20}


def main() -> None:
    import json
    import subprocess
    import sys

    from detectors._memory import keep_freed_memory

    keep_freed_memory()  # as training does (see detectors/_memory.py)
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100000,500000", help="Account counts (10 days each).")
    ap.add_argument("--scenarios", type=int, default=40)
    ap.add_argument("--sampled-child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.sampled_child:
        print(json.dumps(sampled_memory(args.sampled_child)))
        return
    rows, inj, sampled = [], [], []
    for acc in [int(x) for x in args.sizes.split(",")]:
        res = subprocess.run([sys.executable, "-m", "experiments.bench.detector_speed", "--sampled-child",
                              str(acc)], capture_output=True, text=True, check=True)
        sampled.append(json.loads(res.stdout.strip().splitlines()[-1]))
        world, data = _world(acc)
        for arch in ("sage", "gine"):
            epoch, tps = epoch_and_inference(data, arch)
            rows.append((data.n_edges, arch, epoch, tps))
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
    print("sampled training (GINe, 8192 seed edges, fanouts 10/5), fresh process per size")
    print("edges       s_per_batch  epoch_s  graph_rss_MiB  extra_peak_MiB")
    for r in sampled:
        print(f"{r['edges']:>10,}  {r['batch_s']:>11.3f}  {r['epoch_s']:>7.1f}  {r['graph_rss_mib']:>13.0f}"
              f"  {r['extra_mib']:>14.0f}")


if __name__ == "__main__":
    main()
