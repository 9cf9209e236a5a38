"""Benchmark scripts: each runs as `python -m experiments.bench.NAME` and prints its figures last."""
