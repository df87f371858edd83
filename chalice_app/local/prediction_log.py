"""Every prediction as one SQLite row (WAL: many worker processes write at once).

A row is committed before the answer leaves: WAL with synchronous=NORMAL writes it to
the WAL file (the OS holds it), so a killed process loses nothing; only a crash of the
machine itself may lose the last rows. Checkpoints (copying the WAL into the database
and syncing it: 5-120 ms) run in a background thread of each process, never inside the
INSERT of a request, which is where SQLite's automatic checkpoint would run them.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from chalice_app.errors import PredictionLogError
from chalice_app.ports import PredictionEntry, PriceRange

_SCHEMA = """
CREATE TABLE IF NOT EXISTS predictions (
    prediction_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    inputs TEXT NOT NULL,
    value REAL NOT NULL,
    model_version TEXT NOT NULL,
    latency_ms REAL NOT NULL,
    range_low REAL,
    range_high REAL,
    range_level REAL,
    client TEXT
)
"""
# Logs written before the price range (or the client) existed get its columns (empty
# for old rows).
_ADDED_COLUMNS = ("range_low REAL", "range_high REAL", "range_level REAL", "client TEXT")
_COLUMNS = (
    "prediction_id",
    "created_at",
    "inputs",
    "value",
    "model_version",
    "latency_ms",
    "range_low",
    "range_high",
    "range_level",
    "client",
)
# OR IGNORE: an entry already there is this very entry (its id is unique), written by
# an earlier try or replayed from a recoverable log line: a no-op, as on DynamoDB.
_PLACES = ", ".join("?" for _ in _COLUMNS)
_INSERT = f"INSERT OR IGNORE INTO predictions ({', '.join(_COLUMNS)}) VALUES ({_PLACES})"
# One UTC day, as DynamoDB's adapter reads it (the day is created_at's first ten
# characters) and in its order (created_at, then the id).
_SELECT_DAY = (
    f"SELECT {', '.join(_COLUMNS)} FROM predictions WHERE substr(created_at, 1, 10) = ? "
    "ORDER BY created_at, prediction_id"
)
# Writers queue behind each other instead of failing with "database is locked".
BUSY_TIMEOUT_MS = 10_000
# How often each process's checkpointer copies the WAL back into the database file.
CHECKPOINT_INTERVAL_SECONDS = 0.5
# Under sustained writes a PASSIVE checkpoint never finds the WAL fully copied, so the
# WAL never restarts and grows without end (~30 MB/s at 3,000 inserts/s here). Past
# this many frames (64 MiB of 4 KiB pages) the checkpointer restarts it (RESTART:
# writers wait for it, ~35 ms at most here, every few seconds at full load and never
# when traffic pauses; TRUNCATE stalled them three times longer, 4,096 frames longer).
WAL_RESTART_FRAMES = 16_384

log = logging.getLogger(__name__)


def connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Autocommit: each INSERT is its own short transaction, holding the lock briefly.
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            _prepare(conn)
            return conn
        except sqlite3.OperationalError as exc:
            # Switching a new file to WAL takes an exclusive lock, and SQLite may answer
            # "locked" at once rather than through the busy handler when processes (two
            # workers of a fresh home) open it together: wait as a busy write would.
            if "locked" not in str(exc) or time.monotonic() > deadline:
                conn.close()
                raise
            time.sleep(0.05)


def _prepare(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA journal_mode = WAL")
    # WAL + NORMAL survives a process crash; only an OS crash may lose the last rows.
    conn.execute("PRAGMA synchronous = NORMAL")
    # No checkpoint inside a commit: the Checkpointer does them (per connection setting).
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute(_SCHEMA)
    present = {row[1] for row in conn.execute("PRAGMA table_info(predictions)")}
    for column in _ADDED_COLUMNS:
        if column.split()[0] not in present:
            try:
                conn.execute(f"ALTER TABLE predictions ADD COLUMN {column}")
            except sqlite3.OperationalError as exc:  # another process added it first
                if "duplicate column" not in str(exc):
                    raise


class Checkpointer:
    """A daemon thread running PASSIVE checkpoints, which never wait for a writer nor
    make one wait, and a RESTART one when sustained writes let the WAL grow too long."""

    def __init__(
        self,
        path: Path,
        interval: float = CHECKPOINT_INTERVAL_SECONDS,
        restart_frames: int = WAL_RESTART_FRAMES,
    ) -> None:
        self._path, self._interval, self._restart_frames = path, interval, restart_frames
        self._stop = threading.Event()
        self._failing = False
        self._thread = threading.Thread(target=self._run, name="wal-checkpointer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        while not self._stop.wait(self._interval):
            try:
                if conn is None:
                    conn = connect(self._path)
                _busy, frames, _copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                if frames > self._restart_frames:
                    conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
            except (sqlite3.Error, OSError) as exc:
                conn = None  # retried next round; the rows are safe in the WAL meanwhile
                if not self._failing:
                    log.warning("prediction log checkpoint failed: %s", exc)
                self._failing = True
            else:
                if self._failing:
                    log.warning("prediction log checkpoints work again")
                self._failing = False
        if conn is not None:
            conn.close()


class SqlitePredictionLog:
    def __init__(
        self, path: Path, checkpoint_interval: float = CHECKPOINT_INTERVAL_SECONDS
    ) -> None:
        self._path = path
        self._checkpoint_interval = checkpoint_interval
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        self._lock = threading.Lock()
        self._checkpointer: Checkpointer | None = None

    def _connection(self) -> sqlite3.Connection:
        # A connection (and a thread) must not cross a fork (gunicorn --preload would).
        if self._conn is None or self._pid != os.getpid():
            self._conn = connect(self._path)
            if self._pid != os.getpid():
                self._checkpointer = Checkpointer(self._path, self._checkpoint_interval)
            self._pid = os.getpid()
        return self._conn

    def record(self, entry: PredictionEntry) -> None:
        with self._lock:
            try:
                self._connection().execute(_INSERT, _row(entry))
            except (sqlite3.Error, OSError) as exc:
                raise self._failed(exc) from None

    def record_many(self, entries: Sequence[PredictionEntry]) -> None:
        """One transaction: every entry is written, or none is (and the error says so)."""
        rows = [_row(entry) for entry in entries]
        with self._lock:
            try:
                conn = self._connection()
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.executemany(_INSERT, rows)
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:  # SQLite may have rolled back already
                        conn.execute("ROLLBACK")
                    raise
            except (sqlite3.Error, OSError) as exc:
                raise self._failed(exc) from None

    def _failed(self, exc: Exception) -> PredictionLogError:
        # A full disk or a broken file: the caller answers and keeps the entries.
        self._conn = None  # reconnect next time; the file may come back
        return PredictionLogError(f"{type(exc).__name__}: {exc}")

    def read_day(self, day: str) -> Iterator[PredictionEntry]:
        """Every prediction of one UTC day (YYYY-MM-DD), oldest first (PredictionReader).

        Reads on its own read-only connection: a WAL reader never blocks the writers, and
        a log that does not exist yet is an empty day, not a new file.
        """
        if not self._path.exists():
            return
        try:
            conn = sqlite3.connect(
                f"{self._path.resolve().as_uri()}?mode=ro",
                uri=True,
                timeout=BUSY_TIMEOUT_MS / 1000,
            )
        except sqlite3.Error as exc:
            raise PredictionLogError(f"{self._path}: {exc}") from None
        try:
            for row in conn.execute(_SELECT_DAY, (day,)):
                yield _entry(row)
        except sqlite3.Error as exc:
            raise PredictionLogError(f"{self._path}: {exc}") from None
        finally:
            conn.close()


def _row(entry: PredictionEntry) -> tuple[Any, ...]:
    return (
        entry.prediction_id,
        entry.created_at,
        json.dumps(dict(entry.inputs), ensure_ascii=False),
        entry.value,
        entry.model_version,
        entry.latency_ms,
        *entry.range_columns().values(),
        entry.client,
    )


def _entry(row: tuple[Any, ...]) -> PredictionEntry:
    values = dict(zip(_COLUMNS, row, strict=True))
    low, high, level = values["range_low"], values["range_high"], values["range_level"]
    return PredictionEntry(
        prediction_id=values["prediction_id"],
        created_at=values["created_at"],
        inputs=json.loads(values["inputs"]),
        value=values["value"],
        model_version=values["model_version"],
        latency_ms=values["latency_ms"],
        range=None if low is None or high is None else PriceRange(low, high, level),
        client=values["client"],
    )
