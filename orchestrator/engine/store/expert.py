"""Expert review: AML analysts' verdicts on scenarios, kept apart from the run store.

An analyst marks a scenario realistic or unrealistic with a reason, or picks the more
realistic of two scenarios. Verdicts go to ``expert.sqlite`` in the run directory, written
only by the web workspace (`redledger serve`); the run store keeps its single writer, the
supervisor, which reads the verdicts at the start of every round:

- a scenario an expert marks unrealistic leaves the archive and may not re-enter it;
- a pairwise verdict is played in the Elo tournament with ``tournament.human_weight``
  times the K-factor, and recorded as a match of kind ``human``.

The file is append-only: a later verdict on the same scenario supersedes an earlier one
(the latest counts), nothing is edited in place. The supervisor remembers the last ids it
applied in the run store, so a resumed run applies exactly the verdicts it had not yet
applied.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from orchestrator.engine.layout import RunLayout

VERDICTS = ("realistic", "unrealistic")
WINNERS = ("a", "b")
MAX_REASON = 2000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS verdicts (id INTEGER PRIMARY KEY AUTOINCREMENT, scenario_id TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('realistic', 'unrealistic')), reason TEXT NOT NULL,
    analyst TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS pairs (id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT NOT NULL, b TEXT NOT NULL,
    winner TEXT NOT NULL CHECK (winner IN ('a', 'b')), reason TEXT NOT NULL, analyst TEXT NOT NULL,
    created REAL NOT NULL, CHECK (a != b));
"""


class ExpertError(ValueError):
    """A verdict that cannot be stored as given (one line naming the field and the rule)."""


@dataclass(frozen=True)
class ExpertVerdict:
    id: int
    scenario_id: str
    verdict: str
    reason: str
    analyst: str
    created: float


@dataclass(frozen=True)
class Pair:
    """An expert's pick of the more realistic of scenarios ``a`` and ``b``."""

    id: int
    a: str
    b: str
    winner: str
    reason: str
    analyst: str
    created: float

    @property
    def chosen(self) -> str:
        return self.a if self.winner == "a" else self.b

    @property
    def rejected(self) -> str:
        return self.b if self.winner == "a" else self.a


def _reason(reason: str) -> str:
    text = " ".join((reason or "").split())
    if not text:
        raise ExpertError("reason: required (say why, in a sentence)")
    if len(text) > MAX_REASON:
        raise ExpertError(f"reason: at most {MAX_REASON} characters (got {len(text)})")
    return text


def _analyst(analyst: str) -> str:
    text = " ".join((analyst or "").split())[:80]
    return text or "analyst"


def _create(path: Path) -> None:
    """Make the store whole beside ``path`` and link it into place: the supervisor, which
    reads the file every round, never sees it without its tables. A store another writer
    made first is kept."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(_SCHEMA)
        db.commit()
    finally:
        db.close()
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


class ExpertStore:
    """``expert.sqlite`` of a run directory.

    Args:
        run_dir: the run directory.
        readonly: read only (the supervisor and the exports); a missing file then reads as
            empty instead of being created.
    """

    def __init__(self, run_dir: Path, readonly: bool = False):
        self.path = RunLayout.of(run_dir).expert_store
        self.db: sqlite3.Connection | None = None
        if readonly and not self.path.exists():
            return
        try:
            if readonly:
                self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10)
            else:
                if not self.path.exists():
                    _create(self.path)
                self.db = sqlite3.connect(self.path, timeout=10, check_same_thread=False)
                self.db.executescript(_SCHEMA)  # a store of an older version gains new tables
                self.db.commit()
            self.db.row_factory = sqlite3.Row
            self.db.execute("SELECT COUNT(*) FROM verdicts").fetchone()
        except sqlite3.Error as err:
            raise ExpertError(
                f"{self.path}: not a readable expert store ({' '.join(str(err).split())})"
            ) from None

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

    def __enter__(self) -> ExpertStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---------------------------------------------------------------- writes (the web workspace)

    def add_verdict(self, scenario_id: str, verdict: str, reason: str, analyst: str = "") -> ExpertVerdict:
        """Raises: ExpertError (unknown verdict, missing or overlong reason)."""
        if verdict not in VERDICTS:
            raise ExpertError(f"verdict: must be one of {', '.join(VERDICTS)} (got '{verdict}')")
        row = (scenario_id, verdict, _reason(reason), _analyst(analyst), time.time())
        with self.db:
            cur = self.db.execute(
                "INSERT INTO verdicts (scenario_id, verdict, reason, analyst, created) "
                "VALUES (?, ?, ?, ?, ?)",
                row,
            )
        return ExpertVerdict(int(cur.lastrowid), *row)

    def add_pair(self, a: str, b: str, winner: str, reason: str, analyst: str = "") -> Pair:
        """Raises: ExpertError (the same scenario twice, unknown winner, missing reason)."""
        if a == b:
            raise ExpertError("b: must be another scenario than a")
        if winner not in WINNERS:
            raise ExpertError(f"winner: must be 'a' or 'b' (got '{winner}')")
        row = (a, b, winner, _reason(reason), _analyst(analyst), time.time())
        with self.db:
            cur = self.db.execute(
                "INSERT INTO pairs (a, b, winner, reason, analyst, created) VALUES (?, ?, ?, ?, ?, ?)", row
            )
        return Pair(int(cur.lastrowid), *row)

    # ---------------------------------------------------------------- reads

    def verdicts(self, after: int = 0, scenario_id: str | None = None) -> list[ExpertVerdict]:
        """Verdicts with id above ``after`` (of one scenario if given), oldest first."""
        if self.db is None:
            return []
        q, args = "SELECT * FROM verdicts WHERE id > ?", [after]
        if scenario_id is not None:
            q, args = q + " AND scenario_id = ?", [*args, scenario_id]
        return [ExpertVerdict(**dict(r)) for r in self.db.execute(q + " ORDER BY id", args)]

    def pairs(self, after: int = 0, scenario_id: str | None = None) -> list[Pair]:
        if self.db is None:
            return []
        q, args = "SELECT * FROM pairs WHERE id > ?", [after]
        if scenario_id is not None:
            q, args = q + " AND (a = ? OR b = ?)", [*args, scenario_id, scenario_id]
        return [Pair(**dict(r)) for r in self.db.execute(q + " ORDER BY id", args)]

    def labels(self) -> dict[str, ExpertVerdict]:
        """The latest verdict of every reviewed scenario."""
        out: dict[str, ExpertVerdict] = {}
        for v in self.verdicts():
            out[v.scenario_id] = v
        return out


def rejected_ids(verdicts: list[ExpertVerdict], start: set[str] | None = None) -> set[str]:
    """Scenarios whose latest verdict (in id order, after ``start``) is unrealistic."""
    out = set(start or ())
    for v in verdicts:
        (out.add if v.verdict == "unrealistic" else out.discard)(v.scenario_id)
    return out


def label_record(v: ExpertVerdict | None) -> dict | None:
    """An expert label as the exports write it (None: not reviewed by an expert)."""
    if v is None:
        return None
    return {"verdict": v.verdict, "reason": v.reason, "analyst": v.analyst, "verdict_id": v.id}


__all__ = ["ExpertError", "ExpertStore", "Pair", "ExpertVerdict", "label_record", "rejected_ids"]
