"""`replay-predictions`: put answered-but-unlogged predictions back into the log.

When the prediction log cannot take an entry, the API answers anyway and writes the
whole entry as one JSON log line (`recoverable_prediction`). This reads such lines
(CloudWatch Logs exported, or the proxy's stdout) and writes each entry to the stage's
prediction table, or the local SQLite log. Writing is idempotent on the prediction id:
replaying a file twice, or an entry that did reach the log, changes nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ops.errors import OperatorError
from ops.prediction_logs import open_log

FIELD = "recoverable_prediction"


@dataclass(frozen=True)
class ReplayCount:
    written: int  # written now, or found there already (the same id)
    skipped: int  # lines that are not a recoverable entry


def json_objects(lines: Iterable[str]) -> Iterator[dict[str, Any] | None]:
    for line in lines:
        start = line.find("{")  # a log export may put a timestamp before the JSON
        try:
            found = json.loads(line[start:]) if start >= 0 else None
        except ValueError:
            found = None
        yield found if isinstance(found, dict) else None


def replay(lines: Iterable[str], log: Any) -> ReplayCount:
    """Write every recoverable entry in `lines` to `log` (a PredictionLog)."""
    from chalice_app.errors import PredictionLogError
    from chalice_app.ports import PredictionEntry

    written = skipped = 0
    for number, found in enumerate(json_objects(lines), start=1):
        record = found.get(FIELD) if found is not None else None
        if not isinstance(record, dict):
            skipped += 1
            continue
        try:
            entry = PredictionEntry.from_record(record)
        except (KeyError, TypeError, ValueError) as exc:
            raise OperatorError(f"line {number}: not a prediction entry ({exc!r})") from None
        try:
            log.record(entry)
        except PredictionLogError as exc:
            raise OperatorError(
                f"line {number}: the log refused {entry.prediction_id}: {exc}; "
                f"{written} entries written before it (replaying again is safe)"
            ) from None
        written += 1
    return ReplayCount(written, skipped)


def _replay(args: argparse.Namespace) -> int:
    opened = open_log(args.stage)
    log, where = opened.log, opened.where
    if args.file == "-":
        count = replay(sys.stdin, log)
    else:
        with open(args.file, encoding="utf-8") as source:
            count = replay(source, log)
    print(f"{count.written} predictions written to {where} ({count.skipped} other lines)")
    return 0


def add_commands(commands: Any) -> None:
    command = commands.add_parser(
        "replay-predictions", help="write recoverable_prediction log lines into the log"
    )
    command.add_argument("file", help="JSON log lines (- for standard input)")
    command.add_argument(
        "--stage", help="the stage's DynamoDB table (default: the local log in $PVP_HOME)"
    )
    command.set_defaults(handler=_replay)
