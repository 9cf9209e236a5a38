"""Opening a run store, checking that it is one, and turning SQLite's errors into one line.

A store that cannot be read (truncated, corrupt, not SQLite, or missing its tables) is
refused when it is opened, before anything is written to it, with a `StoreError` that
names the file. Every method of `RunStore` turns a later SQLite error into the same kind
of line, so that no command shows a traceback for a damaged file.
"""

from __future__ import annotations

import functools
import inspect
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from orchestrator.engine.store.errors import StoreError
from orchestrator.engine.store.reads import StoreReads
from orchestrator.engine.store.schema import SCHEMA, TABLES
from orchestrator.engine.store.writes import StoreWrites


def _describe(path: Path, err: sqlite3.Error) -> str:
    text = " ".join(str(err).split())
    if isinstance(err, sqlite3.OperationalError) and "locked" in text:
        return f"{path}: the run store is busy ({text}); try again"
    return f"{path}: the run store is damaged or is not a run store ({text})"


def _guard(fn):
    @functools.wraps(fn)
    def wrapper(self, *args, **kwargs):
        try:
            return fn(self, *args, **kwargs)
        except sqlite3.Error as err:
            raise StoreError(_describe(self.path, err)) from None
    return wrapper


@functools.cache
def _columns() -> dict[str, list[str]]:
    """The columns of every run table, as the current schema creates them."""
    mem = sqlite3.connect(":memory:")
    mem.executescript(SCHEMA)
    out = {t: [r[1] for r in mem.execute(f"PRAGMA table_info({t})")] for t in TABLES}
    mem.close()
    return out


class RunStore(StoreReads, StoreWrites):
    """The SQLite file of a run (WAL); the supervisor is its only writer.

    Args:
        path: the file (``run.sqlite`` in a run directory).
        readonly: open for reading only (other processes: status, show, report, export).

    Raises:
        StoreError: the file exists but is not a readable run store (or, read-only, is missing).
    """

    def __init__(self, path: str | Path, readonly: bool = False):
        self.path = Path(path)
        self.db = None
        existed = self.path.is_file() and self.path.stat().st_size > 0
        if readonly and not existed:
            raise StoreError(f"{self.path}: no run store here (missing or empty)")
        try:
            if readonly:
                self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10)
            else:
                self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            if existed:
                self._check()
            if not readonly:
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")
                self.db.executescript(SCHEMA)
        except sqlite3.Error as err:
            self.close()
            raise StoreError(_describe(self.path, err)) from None
        except StoreError:
            self.close()
            raise

    def _check(self) -> None:
        """Read every page once and find the run tables, before anything is written."""
        bad = [r[0] for r in self.db.execute("PRAGMA quick_check").fetchall() if r[0] != "ok"]
        if bad:
            raise StoreError(f"{self.path}: the run store is damaged ({bad[0]})")
        have = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = [t for t in TABLES if t not in have]
        if missing:
            raise StoreError(f"{self.path}: not a run store (table '{missing[0]}' is missing)")
        for table, want in _columns().items():
            got = {r[1] for r in self.db.execute(f"PRAGMA table_info({table})")}
            lacking = [c for c in want if c not in got]
            if lacking:
                raise StoreError(f"{self.path}: table '{table}' has no column '{lacking[0]}': the store was "
                                 "written by an older redledger; start a new run directory")

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: a crash inside leaves the store as it was before."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as err:
            raise StoreError(_describe(self.path, err)) from None
        try:
            yield
            self.db.execute("COMMIT")
        except BaseException as err:
            self.db.execute("ROLLBACK")
            if isinstance(err, sqlite3.Error):
                raise StoreError(_describe(self.path, err)) from None
            raise


# every public read and write turns SQLite's errors into a StoreError naming the file
for _cls in (StoreReads, StoreWrites):
    for _name, _fn in inspect.getmembers(_cls, inspect.isfunction):
        if not _name.startswith("_"):
            setattr(_cls, _name, _guard(_fn))

__all__ = ["RunStore", "StoreError"]
