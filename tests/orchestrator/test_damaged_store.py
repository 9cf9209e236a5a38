"""Every command that reads a run refuses a damaged `run.sqlite` in one line and exit code 2,
and `resume` never writes to a store it could not read."""

from __future__ import annotations

import hashlib
import shutil

import numpy as np
import pytest

from tests.orchestrator.test_cli import one_error_line, run

COMMANDS = {
    "show": ["show", "{run}", "archive"],
    "show top": ["show", "{run}", "top", "3"],
    "report": ["report", "{run}", "--out", "{tmp}/report.html"],
    "export": ["export", "{run}", "--format", "parquet", "--out", "{tmp}/export"],
    "resume": ["resume", "{run}", "--inline"],
    "status": ["status", "{run}"],
    "stop": ["stop", "{run}"],
}


def _damage(path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 3])
    elif how == "random bytes":
        path.write_bytes(np.random.default_rng(0).bytes(len(data)))
    elif how == "older schema":  # a store of an earlier version: rounds without the diversity columns
        import sqlite3

        db = sqlite3.connect(path)
        db.execute("ALTER TABLE rounds DROP COLUMN typology_entropy")
        db.commit()
        db.execute("PRAGMA journal_mode=DELETE")  # no WAL left for a reader to fold in
        db.close()
    else:  # a valid SQLite file that is not a run store
        path.unlink()
        import sqlite3

        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE notes (text TEXT)")


@pytest.fixture(params=["truncated", "random bytes", "not a run store", "older schema"])
def damaged(request, finished_run, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(finished_run, run_dir)
    for side in ("-wal", "-shm"):
        (run_dir / f"run.sqlite{side}").unlink(missing_ok=True)
    _damage(run_dir / "run.sqlite", request.param)
    return run_dir


@pytest.mark.parametrize("command", list(COMMANDS))
def test_each_command_refuses_a_damaged_store_in_one_line(command, damaged, tmp_path, monkeypatch, capsys):
    store = damaged / "run.sqlite"
    before = hashlib.sha256(store.read_bytes()).hexdigest()
    args = [a.format(run=damaged, tmp=tmp_path) for a in COMMANDS[command]]
    assert run(monkeypatch, *args) == 2
    line = one_error_line(capsys.readouterr().err)
    assert line.startswith("error: ") and str(store) in line
    assert "damaged" in line or "not a run store" in line or "written by an older redledger" in line
    # nothing was written: not to the store, not a stop request, not an export or a report
    assert hashlib.sha256(store.read_bytes()).hexdigest() == before
    assert not (damaged / "STOP").exists()
    assert not (tmp_path / "export").exists() and not (tmp_path / "report.html").exists()
