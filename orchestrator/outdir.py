"""Output directories that `--force` may replace: only what redledger itself wrote.

A directory is redledger's when it is empty, when its marker file (`.redledger-output`)
lists every entry in it, or when its `MANIFEST.sha256` (every export has one) lists every
file in it. `--force` replaces such a directory and refuses anything else with one line:
a plain file, a directory holding a file redledger did not write, a run directory or any
of its parents, and the current working directory or any of its parents.

New output is written into a hidden sibling and renamed into place, so a failure leaves
the old output as it was and never a half-written directory.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

MARKER = ".redledger-output"
MANIFEST = "MANIFEST.sha256"


class OutDirError(ValueError):
    """The output directory cannot be (re)written as asked (one line naming it and the rule)."""


def _owner(out: Path, kind: str, legacy: Iterable[str]) -> tuple[str | None, str | None]:
    """(the kind of redledger output ``out`` holds, the first entry redledger did not write).

    ``legacy`` are the entries of output of ``kind`` written before markers existed."""
    entries = sorted(p.name for p in out.iterdir())
    marker = out / MARKER
    if marker.is_file():
        try:
            mark = json.loads(marker.read_text(encoding="utf-8"))
            kind, owned = str(mark["kind"]), set(mark["entries"])
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            return None, MARKER
        return kind, next(
            (e for e in entries if e != MARKER and e not in owned and not _nested(out / e)), None
        )
    manifest = out / MANIFEST
    if manifest.is_file():
        try:
            lines = manifest.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError:
            return None, MANIFEST
        listed = {line.split("  ", 1)[1] for line in lines if "  " in line} | {MANIFEST, "README.md"}
        files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if not p.is_dir())
        return "export", next((f for f in files if f not in listed), None)
    legacy = set(legacy)
    if legacy and all(e in legacy or _nested(out / e) for e in entries):
        return kind, None
    return None, entries[0]


def _nested(p: Path) -> bool:
    """``p`` is a directory of redledger output of its own (say a benchmark inside a demo)."""
    if not p.is_dir() or p.is_symlink() or not ((p / MARKER).is_file() or (p / MANIFEST).is_file()):
        return False
    return _owner(p, "", ())[1] is None


def _holds(parent: Path, child: Path) -> bool:
    parent, child = parent.resolve(), child.resolve()
    return child == parent or parent in child.parents


def check_out_dir(
    out: Path, force: bool, kind: str, protect: Iterable[Path] = (), legacy: Iterable[str] = ()
) -> None:
    """Refuse an ``out`` that this command may not write.

    ``kind`` names what the command writes (`world`, `benchmark`, `demo`, `export`);
    ``--force`` replaces only redledger output of the same kind. ``protect`` are
    directories the command reads (a run directory): ``out`` may be neither one of them
    nor one of their parents. ``legacy``: the entries that made up output of ``kind``
    before redledger marked its output (a directory of only those is taken as such).

    Raises:
        OutDirError: ``out`` is a plain file; a protected directory, the current directory
            or one of their parents; non-empty without ``force``; or, with ``force``, holds
            something redledger did not write, or another kind of redledger output.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutDirError(f"{out}: --out is a file, not a directory; redledger never replaces a file")
    for p in protect:
        if _holds(out, p):
            raise OutDirError(f"{out}: --out holds the run directory {p}; choose a directory outside it")
    if not out.exists():
        return
    if _holds(out, Path.cwd()):
        raise OutDirError(f"{out}: --out holds the current directory; choose a directory below it")
    if not any(out.iterdir()):
        return
    if not force:
        raise OutDirError(
            f"{out}: directory is not empty; pass --force to replace what redledger wrote there"
        )
    owner, bad = _owner(out, kind, legacy)
    if bad is not None:
        raise OutDirError(
            f"{out}: holds '{bad}', which redledger did not write; --force replaces only "
            "redledger's own output, so choose another --out or move it away"
        )
    if owner != kind:
        raise OutDirError(
            f"{out}: holds redledger's {owner} output; --force replaces only {kind} output "
            "here, so choose another --out"
        )


def write_marker(out: Path, kind: str, entries: Iterable[str] | None = None) -> None:
    """Mark ``out`` as redledger's output of ``kind``; ``entries`` default to what is in it."""
    names = sorted(set(entries if entries is not None else (p.name for p in out.iterdir())) - {MARKER})
    tmp = out / f".{MARKER}.tmp"
    tmp.write_text(json.dumps({"kind": kind, "entries": names}, indent=1) + "\n", encoding="utf-8")
    tmp.replace(out / MARKER)


def swap_in(tmp: Path, out: Path) -> None:
    """Put the finished directory ``tmp`` at ``out``, the old one (already checked) leaving last."""
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp.rename(out)


@contextlib.contextmanager
def replacing(out: Path, force: bool, kind: str, protect: Iterable[Path] = ()) -> Iterator[Path]:
    """Check ``out``, yield a hidden sibling to write into, then rename it into place.

    Exports (``kind`` 'export') get no marker: their manifest lists what they hold.

    Raises:
        OutDirError: as `check_out_dir`, before anything is written.
    """
    out = Path(out).absolute()
    check_out_dir(out, force, kind, protect)
    tmp = out.with_name(f".{out.name}.partial-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        yield tmp
        if kind != "export":
            write_marker(tmp, kind)
        swap_in(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def clear_owned(out: Path) -> None:
    """Remove a checked directory's entries (all redledger's), keeping the directory itself."""
    for p in Path(out).iterdir():
        shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()


__all__ = ["MARKER", "OutDirError", "check_out_dir", "clear_owned", "replacing", "swap_in", "write_marker"]
