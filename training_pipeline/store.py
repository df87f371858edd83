"""The local state directory ($PVP_HOME) and its SQLite database."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from contract.environment import home_of

DATABASE_NAME = "registry.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS models (
    version TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    metrics TEXT NOT NULL,
    params TEXT NOT NULL,
    fingerprints TEXT NOT NULL,
    path TEXT
);
CREATE TABLE IF NOT EXISTS deployments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    version TEXT NOT NULL,
    action TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    step TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    train_path TEXT,
    validation_path TEXT,
    metrics TEXT,
    gate TEXT,
    model_version TEXT,
    reason TEXT,
    artifacts_dir TEXT,
    pid INTEGER
);
"""
# Bumped with each change to a table made before it; _migrate brings older files along.
SCHEMA_VERSION = 1


def resolve_home(home: str | Path | None = None, env: Mapping[str, str] | None = None) -> Path:
    """Argument, then $PVP_HOME (contract.environment.HOME), absolute."""
    if home is not None:
        return Path(home).expanduser().resolve()
    return home_of(os.environ if env is None else env)


@contextmanager
def connect(home: Path) -> Iterator[sqlite3.Connection]:
    """Open the state database (creating it on first use); closed on exit.

    Autocommit: each statement is its own short transaction, so concurrent
    processes wait for each other only for a moment.
    """
    home.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(home / DATABASE_NAME, timeout=30.0, isolation_level=None)
    connection.row_factory = sqlite3.Row
    # WAL lets the API read run status while a training process writes it.
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA busy_timeout=30000")
    try:
        connection.executescript(_SCHEMA)
        if connection.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
            _migrate(connection)
        yield connection
    finally:
        connection.close()


def _migrate(connection: sqlite3.Connection) -> None:
    connection.execute("BEGIN IMMEDIATE")  # one process migrates; the others then see it
    try:
        columns = {row[1] for row in connection.execute("PRAGMA table_info(runs)")}
        if "pid" not in columns:  # the training process, so a dead run can be told apart
            connection.execute("ALTER TABLE runs ADD COLUMN pid INTEGER")
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
