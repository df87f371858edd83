"""Every prediction as one SQLite row (WAL: many worker processes write at once)."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from pathlib import Path

from chalice_app.errors import PredictionLogError
from chalice_app.ports import PredictionEntry

_SCHEMA = """
CREATE TABLE IF NOT EXISTS predictions (
    prediction_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    inputs TEXT NOT NULL,
    value REAL NOT NULL,
    model_version TEXT NOT NULL,
    latency_ms REAL NOT NULL
)
"""
# Writers queue behind each other instead of failing with "database is locked".
BUSY_TIMEOUT_MS = 10_000


def connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Autocommit: each INSERT is its own short transaction, holding the lock briefly.
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    # WAL + NORMAL survives a process crash; only an OS crash may lose the last rows.
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(_SCHEMA)
    return conn


class SqlitePredictionLog:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        self._lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        # A connection must not cross a fork (gunicorn --preload would do that).
        if self._conn is None or self._pid != os.getpid():
            self._conn = connect(self._path)
            self._pid = os.getpid()
        return self._conn

    def record(self, entry: PredictionEntry) -> None:
        row = (
            entry.prediction_id,
            entry.created_at,
            json.dumps(dict(entry.inputs), ensure_ascii=False),
            entry.value,
            entry.model_version,
            entry.latency_ms,
        )
        with self._lock:
            try:
                self._connection().execute("INSERT INTO predictions VALUES (?, ?, ?, ?, ?, ?)", row)
            except (sqlite3.Error, OSError) as exc:
                # A full disk or a broken file: the caller answers and keeps the entry.
                self._conn = None  # reconnect next time; the file may come back
                raise PredictionLogError(f"{type(exc).__name__}: {exc}") from None
