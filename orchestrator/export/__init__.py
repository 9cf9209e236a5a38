"""`export_run`: the run's World plus its evolved scenarios, in a format detector code reads,
with a dataset card and a SHA-256 manifest. The directory appears complete or not at all:
it is written beside the target and renamed."""

from __future__ import annotations

from pathlib import Path

from orchestrator.export.card import card, manifest
from orchestrator.export.content import ExportError, load_content
from orchestrator.export.formats import WRITERS
from orchestrator.outdir import OutDirError, check_out_dir, replacing

FORMATS = tuple(WRITERS)


def export_run(run_dir: Path, fmt: str, out: Path, force: bool = False, all_accepted: bool = False,
               command: str | None = None) -> Path:
    """Raises: ExportError (unknown format, no archive, an ``out`` that `check_out_dir`
    refuses: a file, the run directory or a parent of it, a non-empty directory without
    ``force``, or with it one that holds anything but an earlier export)."""
    if fmt not in WRITERS:
        raise ExportError(f"--format: unknown format '{fmt}' (known: {', '.join(FORMATS)})")
    out = Path(out)
    try:
        check_out_dir(out, force, "export", protect=[Path(run_dir)])
        content = load_content(Path(run_dir), all_accepted)
        with replacing(out, force, "export", protect=[Path(run_dir)]) as tmp:
            WRITERS[fmt](content, tmp)
            files = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file())
            (tmp / "README.md").write_text(card(content, fmt, files, command), encoding="utf-8")
            (tmp / "MANIFEST.sha256").write_text(manifest(tmp), encoding="utf-8")
    except OutDirError as err:
        raise ExportError(str(err)) from None
    return out


__all__ = ["FORMATS", "ExportError", "export_run"]
