"""The run store: one SQLite file per run, the checkpoint, and the only owner of SQL.

`schema` holds the tables, `writes` what the supervisor records (debates, matches, round
closes with Elo and archive snapshots, detector versions, failures, progress), `reads`
what resume and the inspection commands ask. A file that is not a readable run store is
refused with a one-line `StoreError`. `expert` is the run's second SQLite file, the expert
verdicts that only the web workspace writes (`expert.sqlite`).
"""

from orchestrator.engine.layout import STORE
from orchestrator.engine.store.core import RunStore, StoreError
from orchestrator.engine.store.schema import SCHEMA, TABLES

__all__ = ["SCHEMA", "STORE", "TABLES", "RunStore", "StoreError"]
