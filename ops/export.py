"""`export`: the prediction log, one UTC day at a time, to Parquet.

Locally from the SQLite log to `$PVP_HOME/analytics/predictions/day=YYYY-MM-DD/`
(or `--out DIR`); with `--stage` from the stage's table (a day's SHARDS Query calls,
never a Scan) to `s3://{bucket}/analytics/predictions/day=YYYY-MM-DD/`, which the Glue
table reads. On AWS the `analytics_schedule` function runs this very command as a
SageMaker Processing job on the model image, for yesterday, every night.

Idempotent per day: a day is one object (`predictions.parquet`) written whole and
replaced whole (S3's PUT and the local rename are atomic), and anything else under the
day's prefix is deleted after, so a rerun replaces the day and never adds to it.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from ops import parquet_log
from ops.errors import OperatorError, aws_call
from ops.prediction_logs import OpenedLog, open_log

ANALYTICS_DIRNAME = "analytics"
EXPORT_DIRNAME = "predictions"


def yesterday() -> str:
    return (datetime.now(UTC).date() - timedelta(days=1)).isoformat()


def day_argument(text: str) -> str:
    """A YYYY-MM-DD day, checked (argparse's `type=`)."""
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day (YYYY-MM-DD)") from None


def days_ending(last: str, count: int) -> list[str]:
    end = date.fromisoformat(last)
    return [(end - timedelta(days=back)).isoformat() for back in range(count - 1, -1, -1)]


def export_day(reader: Any, day: str, put: Callable[[str, Path], str]) -> tuple[int, str]:
    """Write `day` of `reader` to one Parquet file and hand it to `put`; (rows, where)."""
    from chalice_app.errors import PredictionLogError

    with tempfile.TemporaryDirectory(prefix="pvp-export-") as scratch:
        path = Path(scratch) / parquet_log.FILENAME
        try:
            rows = parquet_log.write(reader.read_day(day), path)
        except PredictionLogError as exc:
            raise OperatorError(f"cannot read {day} from the log: {exc}") from None
        return rows, put(day, path)


def to_directory(root: Path) -> Callable[[str, Path], str]:
    def put(day: str, path: Path) -> str:
        target = root / parquet_log.day_path(day)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.with_name(f".{target.name}.partial")
        staging.write_bytes(path.read_bytes())
        os.replace(staging, target)
        for other in target.parent.iterdir():
            if other != target:
                other.unlink()
        return str(target)

    return put


def to_s3(s3: Any, bucket: str, prefix: str) -> Callable[[str, Path], str]:
    def put(day: str, path: Path) -> str:
        key = f"{prefix}/{parquet_log.day_path(day)}"
        with aws_call(f"write s3://{bucket}/{key}"):
            # Multipart past 8 MB; either way the object is replaced whole, at once.
            s3.upload_file(str(path), bucket, key)
            folder = key.rsplit("/", 1)[0] + "/"
            pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=folder)
            stale = [
                o["Key"] for page in pages for o in page.get("Contents", []) if o["Key"] != key
            ]
            for start in range(0, len(stale), 1000):  # DeleteObjects: 1,000 keys a call
                chunk = stale[start : start + 1000]
                s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in chunk]})
        return f"s3://{bucket}/{key}"

    return put


def destination(opened: OpenedLog, out: str | None) -> Callable[[str, Path], str]:
    if out is not None:
        return to_directory(Path(out))
    if opened.clients is None:
        return to_directory(opened.settings.home / ANALYTICS_DIRNAME / EXPORT_DIRNAME)
    from contract.resources import PREDICTIONS_EXPORT_PREFIX

    return to_s3(opened.clients.get("s3"), opened.settings.bucket, PREDICTIONS_EXPORT_PREFIX)


def _export(args: argparse.Namespace) -> int:
    if args.days < 1:
        raise OperatorError("--days must be at least 1")
    opened = open_log(args.stage)
    put = destination(opened, args.out)
    for day in days_ending(args.day, args.days):
        rows, where = export_day(opened.log, day, put)
        print(f"{day}: {rows} predictions -> {where}")
    return 0


def add_commands(commands: Any) -> None:
    command = commands.add_parser(
        "export", help="write a day of the prediction log to Parquet (replacing that day)"
    )
    command.add_argument(
        "--day", type=day_argument, default=yesterday(), help="UTC day (default: yesterday)"
    )
    command.add_argument("--days", type=int, default=1, help="this many days ending on --day")
    command.add_argument(
        "--stage", help="the stage's table, to its bucket (default: the local log in $PVP_HOME)"
    )
    command.add_argument("--out", help="a directory instead (day=YYYY-MM-DD/ below it)")
    command.set_defaults(handler=_export)
