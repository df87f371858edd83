"""The run log: every training run, whatever its outcome, with its step and reason."""

from __future__ import annotations

import json
import secrets
import sqlite3
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from contract.vocabulary import RUN_STATUSES, RunView, utc_now
from training_pipeline.store import connect

_JSON_FIELDS = ("metrics", "gate")


def new_run_id() -> str:
    """Sortable, unique and safe in a URL path or a file name."""
    return f"run-{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"


@dataclass(frozen=True)
class RunRecord(RunView):
    """A run as the API shows it, and what the local launcher keeps beside it."""

    pid: int | None = None  # the training process while it runs

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class RunLog:
    """Runs in SQLite; safe to read from one process while another writes."""

    def __init__(self, home: Path) -> None:
        self._home = home

    def claim(
        self, run_id: str, train_path: str, validation_path: str, pid: int | None = None
    ) -> bool:
        """Record a run as pending; False when it was recorded already (by anyone)."""
        with connect(self._home) as db:
            return insert_pending(db, run_id, train_path, validation_path, pid)

    def create(
        self, run_id: str, train_path: str, validation_path: str, pid: int | None = None
    ) -> RunRecord:
        """Record a run as pending; a no-op when a launcher already did."""
        self.claim(run_id, train_path, validation_path, pid)
        record = self.get(run_id)
        assert record is not None
        return record

    def update(self, run_id: str, **fields: Any) -> None:
        unknown = set(fields) - set(RunRecord.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown run fields: {sorted(unknown)}")
        if "status" in fields and fields["status"] not in RUN_STATUSES:
            raise ValueError(f"unknown run status {fields['status']!r}")
        values = [
            json.dumps(v) if k in _JSON_FIELDS and v is not None else v for k, v in fields.items()
        ]
        assignments = ", ".join(f"{name} = ?" for name in fields)
        with connect(self._home) as db:
            db.execute(f"UPDATE runs SET {assignments} WHERE run_id = ?", (*values, run_id))

    def get(self, run_id: str) -> RunRecord | None:
        with connect(self._home) as db:
            row = db.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return None if row is None else _record(row)

    def list(self) -> list[RunRecord]:
        with connect(self._home) as db:
            rows = db.execute("SELECT * FROM runs ORDER BY started_at, run_id").fetchall()
        return [_record(row) for row in rows]


def insert_pending(
    db: sqlite3.Connection, run_id: str, train_path: str, validation_path: str, pid: int | None
) -> bool:
    inserted = db.execute(
        "INSERT OR IGNORE INTO runs"
        " (run_id, status, started_at, train_path, validation_path, pid)"
        " VALUES (?, 'pending', ?, ?, ?, ?)",
        (run_id, utc_now(), train_path, validation_path, pid),
    ).rowcount
    return bool(inserted == 1)


def _record(row: Any) -> RunRecord:
    data = dict(row)
    for name in _JSON_FIELDS:
        if data[name] is not None:
            data[name] = json.loads(data[name])
    return RunRecord(**data)
