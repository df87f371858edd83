"""At most N training runs at once, across every process that may start one.

The run table is the one place all API workers and the CLI share, so the count and the
new row are decided in one SQLite write transaction: concurrent callers queue on its
lock instead of all seeing room for one more. A row counts only while its process
lives, so a run killed with its server does not hold the slot forever.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from contract.vocabulary import utc_now
from training_pipeline.run_log import insert_pending
from training_pipeline.store import connect


@dataclass(frozen=True)
class Claim:
    claimed: bool
    running: list[str]  # the runs alive when the claim was decided


# A run counts as alive this long after its row was written with no process yet: the
# launcher records the pid right after it forks, the CLI as soon as it starts.
SPAWN_GRACE_SECONDS = 60.0


def process_alive(pid: int) -> bool:
    """A training process with this id exists (not a later process that reused it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process; it exists
    try:
        return b"training_pipeline" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return False  # exited between the two checks
    except OSError:
        return True  # no /proc here: the signal check is all there is


def _alive_runs(db: sqlite3.Connection) -> list[str]:
    alive = []
    rows = db.execute(
        "SELECT run_id, pid, started_at FROM runs WHERE status IN ('pending', 'running')"
        " ORDER BY started_at"
    ).fetchall()
    now = datetime.now(UTC)
    for run_id, pid, started_at in rows:
        if pid is None:
            age = (now - datetime.fromisoformat(started_at)).total_seconds()
            if age < SPAWN_GRACE_SECONDS:
                alive.append(run_id)
                continue
            reason = "no training process was ever recorded for this run"
        elif process_alive(pid):
            alive.append(run_id)
            continue
        else:
            reason = "the training process is gone (killed, or the machine restarted)"
        db.execute(
            "UPDATE runs SET status = 'failed', finished_at = ?, reason = ? WHERE run_id = ?",
            (utc_now(), reason, run_id),
        )
    return alive


def claim_within_limit(
    home: Path, run_id: str, train_path: str, validation_path: str, *, limit: int
) -> Claim:
    """Record a run as pending if fewer than `limit` runs are alive, in one transaction.

    A pending or running row whose process is gone is marked failed on the way.
    """
    with connect(home) as db:
        db.execute("BEGIN IMMEDIATE")
        try:
            if db.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone():
                db.execute("COMMIT")
                return Claim(claimed=False, running=[])
            running = _alive_runs(db)
            if len(running) >= limit:
                db.execute("COMMIT")  # keeps the stale rows just marked failed
                return Claim(claimed=False, running=running)
            insert_pending(db, run_id, train_path, validation_path, None)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return Claim(claimed=True, running=running)
