"""An SQLite cache of chat-model calls, so that a run can be replayed offline.

It plugs into langchain-core as the chat model's ``cache``. The key is a SHA-256 of the
model's serialised parameters (model, endpoint, temperature, the structured-output
request, and the request ``seed``, which carries the sample index, so diversity survives
caching) and of the messages. Only that digest and the answer are stored: never the
endpoint's API key, which langchain serialises as a reference to its environment variable
and which `tests/agents/test_llm_calls.py` checks is absent from the file.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

from langchain_core._api import LangChainBetaWarning
from langchain_core.caches import RETURN_VAL_TYPE, BaseCache
from langchain_core.load import dumps, loads
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, Generation

HIT_MARK = "redledger_cache_hit"


class CallCache(BaseCache):
    """Chat answers by digest of (parameters, messages), in one SQLite file (WAL)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # several actor processes share one cache file: wait for each other instead of failing
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS calls (key TEXT PRIMARY KEY, answer TEXT NOT NULL, "
                         "created REAL NOT NULL)")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS methods (endpoint TEXT PRIMARY KEY, method TEXT NOT NULL)"
        )

    @staticmethod
    def key(prompt: str, llm_string: str) -> str:
        return hashlib.sha256(f"{llm_string}\n\x00\n{prompt}".encode()).hexdigest()

    def lookup(self, prompt: str, llm_string: str) -> RETURN_VAL_TYPE | None:
        with self._lock:
            row = self._db.execute(
                "SELECT answer FROM calls WHERE key = ?", (self.key(prompt, llm_string),)
            ).fetchone()
        if row is None:
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LangChainBetaWarning)  # `loads` is marked beta
            gens = loads(row[0], allowed_objects=[ChatGeneration, Generation, AIMessage])
        for g in gens:
            msg = getattr(g, "message", None)
            if msg is not None:
                msg.response_metadata = {**msg.response_metadata, HIT_MARK: True}
        return gens

    def update(self, prompt: str, llm_string: str, return_val: RETURN_VAL_TYPE) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO calls VALUES (?, ?, ?)",
                (self.key(prompt, llm_string), dumps(list(return_val)), time.time()),
            )

    def clear(self, **kwargs) -> None:
        with self._lock:
            self._db.execute("DELETE FROM calls")

    # the structured-output method that worked on an endpoint, so a replay asks the same way
    def method_for(self, endpoint: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT method FROM methods WHERE endpoint = ?", (endpoint,)).fetchone()
        return row[0] if row else None

    def remember_method(self, endpoint: str, method: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO methods VALUES (?, ?)", (endpoint, method))

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM calls").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def was_cached(messages: Sequence) -> bool:
    return any(getattr(m, "response_metadata", {}).get(HIT_MARK) for m in messages)


__all__ = ["HIT_MARK", "CallCache", "was_cached"]
