"""Sharded World generation at scale: 5M, 20M and 50M transactions on 1 and 2 Ray workers.

Each (size, workers) point runs `build_sharded_world` (population, background shards as
Ray tasks, baseline typologies at 0.1%, Parquet parts, the AMLworld triplet streamed from
the k-way merge) in a fresh process with its own local Ray instance of ``workers`` CPUs.
A sampler reads the memory of the process tree (driver, Ray's GCS and raylet, every
worker) every 0.2 s: peak RSS per worker and the peak of the sum over all processes.
The sum counts pages shared between processes (the object store) once per process, so it
is an upper bound. The shard count is fixed per size (never per worker count), so 1 and
2 workers must write the same bytes; the CSV's SHA-256 is compared.

Targets (issue 13): 50M transactions with a total peak RSS <= 16 GiB including the
streamed CSV; 2 workers >= 1.7x faster than 1 worker on 20M.

    python -m experiments.bench.world_scale [--sizes 5,20,50] [--workers 1,2] [--days 30]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

SHARD_TX = 2_500_000  # transactions per shard: a shard's memory is about 80 bytes per transaction


class TreeMemory:
    """Samples RSS of this process and all its descendants until stopped."""

    def __init__(self, period: float = 0.2):
        import psutil

        self._psutil, self.period = psutil, period
        self.total = 0
        self.per_process: dict[int, tuple[str, int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = self._psutil.Process()
        while not self._stop.is_set():
            total = 0
            for p in [me, *me.children(recursive=True)]:
                try:
                    rss = p.memory_info().rss
                    name = " ".join(p.cmdline()[:2])
                except (self._psutil.NoSuchProcess, self._psutil.AccessDenied):
                    continue
                total += rss
                old = self.per_process.get(p.pid, ("", 0))[1]
                self.per_process[p.pid] = (name, max(old, rss))
            self.total = max(self.total, total)
            self._stop.wait(self.period)

    def worker_peak(self) -> int:
        """Peak RSS of the largest Ray worker process."""
        return max([rss for name, rss in self.per_process.values()
                    if "ray::" in name or "default_worker" in name] or [0])


def _up() -> int:
    return 1


def _one(million: float, workers: int, days: int, out: str) -> dict:
    from graph_schema.sharding import build_sharded_world
    from graph_schema.world import WorldConfig
    from orchestrator.engine import WORKER_ENV, ray_runner, ray_session

    tx = int(million * 1_000_000)
    shards = max(2, round(tx / SHARD_TX))
    cfg = WorldConfig(accounts=tx // days, days=days, seed=1, name="Scale")
    phases: dict[str, float] = {}
    with TreeMemory() as mem:
        t0 = time.perf_counter()
        with ray_session(None, workers, WORKER_ENV):
            list(ray_runner(_up, (), [()]))  # the workers are up
            t_ray = time.perf_counter()
            last = [t_ray, None]

            def step(name: str) -> None:
                now = time.perf_counter()
                if last[1]:
                    phases[last[1]] = round(now - last[0], 2)
                last[:] = [now, name.split()[-1]]

            pw = build_sharded_world(cfg, out, shards, ("amlworld",), ray_runner, progress=step)
            step("end")
            t_end = time.perf_counter()
    csv = os.path.join(out, "Scale_Trans.csv")
    digest = hashlib.sha256()
    with open(csv, "rb") as fh:
        while chunk := fh.read(1 << 24):
            digest.update(chunk)
    return {
        "target_million": million, "workers": workers, "shards": shards, "accounts": pw.n_accounts,
        "transactions": pw.n_transactions, "ray_start_s": round(t_ray - t0, 2),
        "phases_s": phases, "total_s": round(t_end - t_ray, 2),
        "tx_per_s": round(pw.n_transactions / (t_end - t_ray)),
        "csv_gib": round(os.path.getsize(csv) / 2**30, 2),
        "parquet_gib": round(sum(os.path.getsize(os.path.join(out, "ledger", f))
                                 for f in os.listdir(os.path.join(out, "ledger"))) / 2**30, 2),
        "peak_rss_total_gib": round(mem.total / 2**30, 2),
        "peak_rss_worker_gib": round(mem.worker_peak() / 2**30, 2),
        "peak_rss_driver_gib": round(mem.per_process[os.getpid()][1] / 2**30, 2),
        "csv_sha256": digest.hexdigest()[:16],
        "processes_gib": sorted(((n[:40], round(r / 2**30, 2)) for n, r in mem.per_process.values()),
                                key=lambda x: -x[1])[:8],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="5,20,50", help="Comma-separated sizes in millions of transactions.")
    ap.add_argument("--workers", default="1,2", help="Comma-separated Ray worker counts.")
    ap.add_argument("--days", type=int, default=30, help="Length of the period (accounts = size / days).")
    ap.add_argument("--dir", default=None, help="Scratch directory (default: a temporary one).")
    ap.add_argument("--child", nargs=2, type=float, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        out = tempfile.mkdtemp(dir=args.dir)
        try:
            print(json.dumps(_one(args.child[0], int(args.child[1]), args.days, out)))
        finally:
            shutil.rmtree(out, ignore_errors=True)
        return
    rows = []
    for size in [float(x) for x in args.sizes.split(",")]:
        for w in [int(x) for x in args.workers.split(",")]:
            cmd = [sys.executable, "-m", "experiments.bench.world_scale", "--child", str(size), str(w),
                   "--days", str(args.days)] + (["--dir", args.dir] if args.dir else [])
            res = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if res.returncode:
                last = res.stderr.strip().splitlines()[-1:]
                sys.exit(f"world_scale: {size}M on {w} workers failed: {last}")
            rows.append(json.loads(res.stdout.strip().splitlines()[-1]))
            print(json.dumps(rows[-1]), flush=True)
    print()
    print(
        "| transactions | workers | shards | total | tx/s | peak RSS total | peak RSS per worker | driver |"
        " CSV | same CSV bytes |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    by_size: dict[float, dict[int, dict]] = {}
    for r in rows:
        by_size.setdefault(r["target_million"], {})[r["workers"]] = r
    for r in rows:
        same = len({x["csv_sha256"] for x in by_size[r["target_million"]].values()}) == 1
        print(
            f"| {r['transactions']:,} | {r['workers']} | {r['shards']} | {r['total_s']:.1f} s | "
            f"{r['tx_per_s'] / 1e3:,.0f}k | {r['peak_rss_total_gib']:.2f} GiB | "
            f"{r['peak_rss_worker_gib']:.2f} GiB | {r['peak_rss_driver_gib']:.2f} GiB | "
            f"{r['csv_gib']:.2f} GiB | {'yes' if same else 'NO'} |"
        )
    print()
    names = list(rows[0]["phases_s"])
    print("| transactions | workers | " + " | ".join(names) + " |")
    print("|---:|---:|" + "---:|" * len(names))
    for r in rows:
        print(
            f"| {r['transactions']:,} | {r['workers']} | "
            + " | ".join(f"{r['phases_s'].get(n, 0):.1f} s" for n in names)
            + " |"
        )
    print()
    for size, ws in by_size.items():
        if 1 in ws and 2 in ws:
            print(f"{size:g}M: 2 workers are {ws[1]['total_s'] / ws[2]['total_s']:.2f}x as fast as 1 worker")


if __name__ == "__main__":
    main()
