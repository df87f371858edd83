"""The prediction log's checkpoints happen beside the requests, not inside them, and
still keep the WAL bounded under writes that never pause (real SQLite files)."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from chalice_app.local.prediction_log import Checkpointer, SqlitePredictionLog
from chalice_app.ports import PredictionEntry
from tests.conftest import EXAMPLE_RECORD


def _entry(n: int) -> PredictionEntry:
    return PredictionEntry(f"id-{n}", "2026-01-01T00:00:00", EXAMPLE_RECORD, 1.0, "v1", 0.1)


def _wal_frames(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        # NOOP mode only reports; it copies nothing.
        return int(conn.execute("PRAGMA wal_checkpoint(NOOP)").fetchone()[1])


def test_no_insert_pays_for_a_checkpoint(tmp_path: Path) -> None:
    # GIVEN a log whose background checkpointer will not run during the test
    path = tmp_path / "predictions.sqlite"
    log = SqlitePredictionLog(path, checkpoint_interval=3600)
    # WHEN more rows are written than SQLite's automatic checkpoint allows (1,000 pages)
    for n in range(1500):
        log.record(_entry(n))
    # THEN the WAL kept every frame: no INSERT stopped to copy it into the database
    assert _wal_frames(path) > 1000


def test_the_wal_stays_bounded_under_writes_that_never_pause(tmp_path: Path) -> None:
    path = tmp_path / "predictions.sqlite"
    log = SqlitePredictionLog(path, checkpoint_interval=3600)
    checkpointer = Checkpointer(path, interval=0.02, restart_frames=200)
    stop = threading.Event()
    written = 0

    def write() -> None:
        nonlocal written
        while not stop.is_set():
            log.record(_entry(written))
            written += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        time.sleep(1.5)
    finally:
        stop.set()
        writer.join()
        checkpointer.stop()
    wal_bytes = path.with_name(path.name + "-wal").stat().st_size
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT count(*) FROM predictions").fetchone()[0]
    assert written > 1000 and rows == written
    # Every commit appends at least one 4 KiB page: a WAL never restarted would hold
    # at least that per row.
    assert wal_bytes < written * 4096 / 2
