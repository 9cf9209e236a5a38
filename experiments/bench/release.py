"""The benchmark release's build: wall time, peak RSS and byte-identity of two builds.

Runs `redledger release CONFIG --out DIR` twice, each in a fresh process under a sampler of
the process tree's memory, and compares the two manifests (every data file's SHA-256).
Bars (issue 26): a build in 60 minutes or less with a peak RSS of 16 GiB or less; the second
build byte-identical to the first.

    python -m experiments.bench.release [--config datasets/redledger-bench-v1/release.toml]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from experiments.bench.world_scale import TreeMemory


def _build(config: str, out: Path) -> tuple[float, float]:
    cmd = [sys.executable, "-m", "experiments.cli", "release", config, "--out", str(out)]
    mem = TreeMemory()
    t0 = time.monotonic()
    with mem:
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - t0, mem.total / 2**30


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", default="datasets/redledger-bench-v1/release.toml")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="redledger-bench-release-") as tmp:
        runs = [_build(args.config, Path(tmp) / f"build{k}") for k in (1, 2)]
        first, second = ((Path(tmp) / f"build{k}" / "MANIFEST.sha256").read_text() for k in (1, 2))
        meta = json.loads((Path(tmp) / "build1" / "release.json").read_text())
    print(f"release {meta['slug']}: {meta['transactions']:,} transactions, {meta['laundering_rows']:,} "
          f"laundering ({100 * meta['laundering_rows'] / meta['transactions']:.3f}%), "
          f"{len(meta['dropped'])} placements dropped")
    for k, (wall, peak) in enumerate(runs, 1):
        print(f"build {k}: {wall:.1f} s wall (bar 3600 s), peak RSS {peak:.2f} GiB (bar 16 GiB)")
    print(f"second build byte-identical: {'yes' if first == second else 'NO'} "
          f"({len(first.splitlines())} files in the manifest)")


if __name__ == "__main__":
    main()
