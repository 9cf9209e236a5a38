"""World generation speed: generate, label (inject baseline typologies) and write Parquet.

Each size runs in a fresh subprocess so that its peak RSS is its own. Target (issue 2):
5M transactions (500k accounts, 10 days) in <= 20 s wall with <= 4 GiB peak RSS.

    python -m experiments.bench.world_speed [--sizes 100000,500000] [--days 10]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time


def _one(accounts: int, days: int, out: str) -> dict:
    t0 = time.perf_counter()
    from graph_schema.baseline import inject_baseline
    from graph_schema.formats import write_world
    from graph_schema.world import WorldConfig, generate_world

    t_import = time.perf_counter()
    cfg = WorldConfig(accounts=accounts, days=days, seed=1)
    w = generate_world(cfg)
    t_gen = time.perf_counter()
    w = inject_baseline(w, cfg.laundering_share, cfg.seed)
    t_inj = time.perf_counter()
    write_world(w, out)
    t_end = time.perf_counter()
    n = w.ledger.num_rows
    return {
        "accounts": accounts,
        "transactions": n,
        "laundering": int(w.ledger.column("is_laundering").to_numpy().sum()),
        "generate_s": round(t_gen - t_import, 2),
        "label_s": round(t_inj - t_gen, 2),
        "write_s": round(t_end - t_inj, 2),
        "total_s": round(t_end - t_import, 2),
        "import_s": round(t_import - t0, 2),
        "tx_per_s": round(n / (t_end - t_import)),
        "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100000,500000", help="Comma-separated account counts.")
    ap.add_argument("--days", type=int, default=10)
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        with tempfile.TemporaryDirectory() as d:
            print(json.dumps(_one(args.child, args.days, d)))
        return
    results = []
    for acc in [int(x) for x in args.sizes.split(",")]:
        out = subprocess.run([sys.executable, "-m", "experiments.bench.world_speed",
                              "--child", str(acc), "--days", str(args.days)],
                             check=True, capture_output=True, text=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(
        "accounts   transactions  laundering  generate_s  label_s  write_s  total_s   tx/s      peak_RSS_GiB"
    )
    for r in results:
        print(
            f"{r['accounts']:>8,}  {r['transactions']:>12,}  {r['laundering']:>10,}  {r['generate_s']:>10}"
            f"  {r['label_s']:>7}  {r['write_s']:>7}  {r['total_s']:>7}  {r['tx_per_s']:>9,}  "
            f"{r['peak_rss_gib']:>6}"
        )


if __name__ == "__main__":
    main()
