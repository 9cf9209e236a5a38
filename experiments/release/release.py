"""`redledger release CONFIG --out DIR`: build a release end to end, into a hidden sibling that
is renamed into place (a failure leaves no half-written release)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from experiments.release.build import Built, build_world
from experiments.release.config import SPLITS, ReleaseConfig
from experiments.release.croissant import croissant
from experiments.release.datasheet import datasheet
from experiments.release.docs import card, summary
from experiments.release.files import write_data
from experiments.release.pool import read_pool
from graph_schema.formats.atomic import write_text_atomic
from orchestrator.export.card import code_version, file_sha256, manifest
from orchestrator.outdir import replacing

Progress = Callable[[str], None]


ROOT = Path(__file__).resolve().parents[2]


def _config_label(config_path: Path) -> str:
    """The config as the documents name it: relative to the project (so a build from any working
    directory gives the same bytes), else to the working directory, else its file name."""
    for base in (ROOT, Path.cwd().resolve()):
        try:
            return config_path.resolve().relative_to(base).as_posix()
        except ValueError:
            continue
    return config_path.name


def data_digest(out: Path) -> str:
    """Digest of the period files: what a predictions file names, so that scores of another
    build (other bytes, even of the same config) are refused."""
    h = hashlib.sha256()
    for s in SPLITS:
        h.update(file_sha256(out / "data" / f"{s}.parquet").encode())
    return h.hexdigest()[:16]


def release_meta(cfg: ReleaseConfig, built: Built, counts: dict, pool_sha: str, config_path: Path,
                 out: Path) -> dict:
    return {
        "name": cfg.name, "version": cfg.version, "slug": cfg.slug, "config_digest": cfg.digest(),
        "data_digest": data_digest(out),
        "pool_sha256": pool_sha, "code_version": code_version(), "config": _config_label(config_path),
        "world": json.loads(cfg.world.model_dump_json()), "budgets": cfg.budgets, "resamples": cfg.resamples,
        "cuts": dict(zip(("train", "validation", "test", "end"), built.cuts, strict=True)),
        "train_seeds": cfg.train_seeds, "test_seeds": cfg.test_seeds, **counts,
    }


def write_documents(cfg: ReleaseConfig, out: Path, meta: dict, results: dict | None) -> None:
    """README.md (card), DATASHEET.md, croissant.json and MANIFEST.sha256 from ``meta``
    (release.json's content) and the results table, if there is one."""
    prov = {"config": meta["config"], "config digest": meta["config_digest"],
            "data digest": meta["data_digest"],
            "scenario pool sha256": meta["pool_sha256"], "code version": f"redledger {meta['code_version']}",
            "World seed": cfg.world.seed, "release seed": cfg.seed}
    text = card(cfg, out, meta, prov, results)
    write_text_atomic(out / "README.md", text)
    write_text_atomic(out / "DATASHEET.md", datasheet(cfg, meta, prov, results))
    write_text_atomic(out / "croissant.json", croissant(cfg, out, summary(cfg, meta), meta))
    write_text_atomic(out / "MANIFEST.sha256", manifest(out))


def build_release(cfg: ReleaseConfig, config_path: Path, out: Path, force: bool = False,
                  progress: Progress | None = None) -> dict:
    """Build the release of ``cfg`` into ``out``; returns release.json's content.

    Raises:
        PoolError: the scenario pool is unreadable.
        OutDirError: ``out`` may not be written (not empty without --force, or not redledger's).
    """
    step = progress or (lambda _msg: None)
    pool, pool_sha = read_pool(cfg.pool)
    with replacing(out, force, "export") as tmp:
        built = build_world(cfg, pool, step)
        step("writing data files")
        counts = write_data(cfg, built, tmp)
        meta = release_meta(cfg, built, counts, pool_sha, config_path, tmp)
        write_text_atomic(tmp / "release.json", json.dumps(meta, indent=1, sort_keys=True) + "\n")
        step("documents")
        write_documents(cfg, tmp, meta, None)
    return meta


__all__ = ["build_release", "release_meta", "write_documents"]
