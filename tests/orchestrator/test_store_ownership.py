"""The run store is the only owner of SQL, and only the supervisor and the run set-up write it."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from orchestrator.engine.store.writes import StoreWrites

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("graph_schema", "detectors", "agents", "orchestrator", "experiments")
# the LLM call cache is its own SQLite file, not the run store
OWN_SQLITE = {"orchestrator/engine/store", "agents/llm/cache.py"}
WRITERS = {"orchestrator/engine/supervisor.py", "orchestrator/engine/between_rounds.py",
           "orchestrator/engine/run.py", "orchestrator/engine/rundir.py"}


def _files():
    for pkg in PRODUCT:
        for f in sorted((ROOT / pkg).rglob("*.py")):
            rel = f.relative_to(ROOT).as_posix()
            yield rel, f.read_text()


def _owned(rel: str) -> bool:
    return any(rel == o or rel.startswith(o + "/") for o in OWN_SQLITE)


def test_no_sql_outside_the_store():
    sql = re.compile(r"\bsqlite3\b|\.execute\(|\b(SELECT|INSERT|UPDATE|DELETE)\s+(\*|\w+\s+(FROM|INTO))")
    offenders = [rel for rel, text in _files() if not _owned(rel) and sql.search(text)]
    assert offenders == []


def test_only_the_supervisor_and_the_run_set_up_write_the_store():
    writes = [n for n, _ in inspect.getmembers(StoreWrites, inspect.isfunction) if not n.startswith("_")]
    assert {"record_debate", "close_round", "record_match", "record_detector_version", "set_meta"} <= set(
        writes
    )
    call = re.compile(r"\.(" + "|".join(writes) + r")\(")
    writers = {
        rel
        for rel, text in _files()
        if not rel.startswith("orchestrator/engine/store/") and call.search(text)
    }
    assert writers and writers <= WRITERS, writers - WRITERS
