"""Read-only views of a run: `RunView` is what every interface reads (`status`, `show`,
the report, the web workspace and the exports): state, progress, rounds, archive cells and
their grid, the Elo table, scenarios and debates, and the run directory's layout."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from orchestrator.engine.archive import volume_band
from orchestrator.engine.config import RunConfig
from orchestrator.engine.layout import RunLayout
from orchestrator.engine.progress import Progress
from orchestrator.engine.store import STORE, RunStore

LIVE = ("setting up", "running")  # the statuses a process writes while it runs the run


def process_alive(store: RunStore) -> bool:
    """Is a process setting up or running this run right now?"""
    return store.get_meta("status") in LIVE and pid_alive(store.get_meta("pid"))


def run_state(store: RunStore) -> str:
    """The run's status as stored ('running', 'finished', 'stopped', ...); a run stored as
    running whose process is gone is 'interrupted (no process); resume it'."""
    state = store.get_meta("status") or "not started"
    if state in LIVE and not process_alive(store):
        return "interrupted (no process); resume it"
    if state == "created":
        return "created (never started); resume it"
    return state


def pid_alive(pid: str | None) -> bool:
    """Is the process ``pid`` (as stored, possibly None) alive?"""
    try:
        os.kill(int(pid), 0)
        return True
    except (TypeError, ValueError, ProcessLookupError, PermissionError):
        return False


class InspectError(ValueError):
    """Nothing to show as asked (one line)."""


@dataclass
class RunView:
    run_dir: Path
    store: RunStore
    cfg: RunConfig

    @classmethod
    def open(cls, run_dir: Path) -> RunView:
        """Raises: InspectError (no run there), StoreError (the store cannot be read)."""
        if not (Path(run_dir) / STORE).exists():
            raise InspectError(f"{run_dir}: no run here ({STORE} is missing)")
        store = RunStore(Path(run_dir) / STORE, readonly=True)
        try:
            return cls(Path(run_dir), store, store.config())
        except BaseException:
            store.close()
            raise

    @property
    def last(self) -> int:
        return self.store.last_round()

    @property
    def layout(self) -> RunLayout:
        return RunLayout.of(self.run_dir, self.cfg)

    def state(self) -> str:
        """See `run_state`."""
        return run_state(self.store)

    def progress(self) -> Progress | None:
        """The round in flight, as the run last saved it (None before its first save)."""
        return self.store.progress()

    def rounds(self) -> list[dict]:
        return self.store.rounds()

    def archive(self, round_: int | None = None) -> list[dict]:
        return self.store.archive_at(self.last if round_ is None else round_)

    def top(self, n: int | None, cell: str | None = None, band: str | None = None) -> list[dict]:
        """The top ``n`` by Elo (None: all of them), optionally only elites of ``cell`` or
        scenarios of volume ``band``
        (``v0``, ``v1``, ...: log bins of funds integrated, from the run's archive config)."""
        bins = self.cfg.archive.volume_bins
        bands = [f"v{i}" for i in range(len(bins) + 1)]
        if band is not None and band not in bands:
            raise InspectError(f"{self.run_dir}: no volume band '{band}' (bands: {', '.join(bands)})")
        out = []
        for r in self.store.top(self.last):
            r["band"] = volume_band(r["funds_integrated"] or 0.0, bins)
            if (cell is None or r["cell"] == cell) and (band is None or r["band"] == band):
                out.append(r)
        if cell is not None and not out:
            cells = sorted(c["cell"] for c in self.archive())
            raise InspectError(
                f"{self.run_dir}: no elite in cell '{cell}' (cells: {', '.join(cells) or 'none'})"
            )
        return out[:n]

    def resolve(self, kind: str, prefix: str) -> str:
        ids = self.store.resolve(kind, prefix)
        if not ids:
            raise InspectError(f"{self.run_dir}: no {kind} with id '{prefix}'")
        if len(ids) > 1:
            raise InspectError(f"{self.run_dir}: id '{prefix}' names several {kind}s; give more characters")
        return ids[0]

    def scenario(self, sid: str) -> dict:
        sid = self.resolve("scenario", sid)
        review = self.store.review(sid)
        return {
            **self.store.scenario_row(sid),
            "review": json.loads(review.model_dump_json()) if review else None,
            "evaluations": self.store.evaluations(sid),
            "debates": self.store.debates_with(sid),
            "elo": self.store.latest_elo(sid),
        }

    def debate(self, did: str) -> dict:
        d = self.store.debate(self.resolve("debate", did))
        calls = self.store.calls_of(d["id"])
        for t in d["transcript"]:
            t["calls"] = [c for c in calls if c["idx"] == t["idx"]]
        return d

    def close(self) -> None:
        self.store.close()


__all__ = ["InspectError", "RunView", "pid_alive", "process_alive", "run_state"]
