"""`export_run`: the run's World plus its evolved scenarios, in a format detector code reads,
with a dataset card and a SHA-256 manifest. The directory appears complete or not at all:
it is written beside the target and renamed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from orchestrator.export.card import card, manifest
from orchestrator.export.content import ExportError, load_content
from orchestrator.export.formats import WRITERS

FORMATS = tuple(WRITERS)


def export_run(run_dir: Path, fmt: str, out: Path, force: bool = False, all_accepted: bool = False,
               command: str | None = None) -> Path:
    """Raises: ExportError (unknown format, no archive, a non-empty target without force)."""
    if fmt not in WRITERS:
        raise ExportError(f"--format: unknown format '{fmt}' (known: {', '.join(FORMATS)})")
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not force:
        raise ExportError(f"{out}: directory is not empty; pass --force to replace it")
    content = load_content(Path(run_dir), all_accepted)
    tmp = out.with_name(f".{out.name}.partial-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        WRITERS[fmt](content, tmp)
        files = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file())
        (tmp / "README.md").write_text(card(content, fmt, files, command), encoding="utf-8")
        (tmp / "MANIFEST.sha256").write_text(manifest(tmp), encoding="utf-8")
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old)
        else:
            tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


__all__ = ["FORMATS", "ExportError", "export_run"]
