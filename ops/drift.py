"""`drift --days N`: the last N days of logged inputs against the deployed version's
training data (its profile.json), per feature: PSI and its band, unseen categories,
values outside the training range, and the rows each figure rests on.

Locally the log is $PVP_HOME's and the profile the deployed registry version's. With
`--stage`, the log is the stage's table (each day's shard queries) and the profile the
one inside the model.tar.gz the endpoint serves; the report goes to the stage's bucket
as well (`analytics/drift/<job>.json`), where the `drift_metrics` function reads it
and writes the metrics the drift alarm watches. On AWS the `analytics_schedule`
function runs this command as a SageMaker Processing job every night.

Prints the table; exits 0 whatever the drift (a report, not a failure).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ops.errors import OperatorError, aws_call
from ops.export import ANALYTICS_DIRNAME, day_argument, days_ending
from ops.prediction_logs import OpenedLog, open_log

DRIFT_DIRNAME = "drift"


def deployed_profile_local(home: Path) -> tuple[str | None, Any]:
    from training_pipeline.profile import read_profile
    from training_pipeline.registry import LocalRegistry

    found = LocalRegistry(home).deployed_location()
    if found is None:
        return None, None
    version, directory = found
    return version, read_profile(directory)


def deployed_profile_aws(clients: Any, settings: Any) -> tuple[str | None, Any]:
    """The version the stage's endpoint serves and the profile in its model.tar.gz."""
    from botocore.exceptions import BotoCoreError, ClientError

    from chalice_app.aws.endpoints import SageMakerEndpoints
    from chalice_app.aws.training import s3_location
    from training_pipeline.profile import profile_in_archive

    endpoints = SageMakerEndpoints(clients.source("sagemaker"), settings.endpoint_name)
    try:
        state = endpoints.state()
        if state is None:
            return None, None
        served = endpoints.served(state.config)
        if not served.model_data_url:
            return served.version, None
        bucket, key = s3_location(served.model_data_url, "model")
        archive = clients.get("s3").get_object(Bucket=bucket, Key=key)["Body"]
        return served.version or served.model, profile_in_archive(archive.read())
    except (BotoCoreError, ClientError) as exc:
        raise OperatorError(
            f"cannot read the served model of {settings.endpoint_name}: {exc}"
        ) from None


def logged(reader: Any, days: Iterable[str]) -> list[Any]:
    from chalice_app.errors import PredictionLogError

    try:
        return [entry for day in days for entry in reader.read_day(day)]
    except PredictionLogError as exc:
        raise OperatorError(f"cannot read the log: {exc}") from None


def drift_report(opened: OpenedLog, days: list[str], min_rows: int) -> tuple[Any, list[Any]]:
    from training_pipeline.drift import compare

    if opened.clients is None:
        version, profile = deployed_profile_local(opened.settings.home)
    else:
        version, profile = deployed_profile_aws(opened.clients, opened.settings)
    entries = logged(opened.log, days)
    # The predicted prices compared are the deployed version's own: another version's
    # prices come from another model, whose training data may differ.
    values = [e.value if e.model_version == version else float("nan") for e in entries]
    report = compare(
        profile,
        [e.inputs for e in entries],
        values,
        min_rows=min_rows,
        model_version=version,
        window={"first_day": days[0], "last_day": days[-1]},
    )
    return report, entries


def _write_report(opened: OpenedLog, document: dict[str, Any], args: argparse.Namespace) -> str:
    text = json.dumps(document, indent=1)
    if args.report is not None:
        Path(args.report).write_text(text)
        return str(args.report)
    if opened.clients is None:
        path = opened.settings.home / ANALYTICS_DIRNAME / DRIFT_DIRNAME
        path.mkdir(parents=True, exist_ok=True)
        target = path / f"drift-{args.day}.json"
        target.write_text(text)
        return str(target)
    job = args.job_name or f"manual-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    key = opened.settings.names.drift_report_key(job)
    with aws_call(f"write the report to s3://{opened.settings.bucket}/{key}"):
        opened.clients.get("s3").put_object(
            Bucket=opened.settings.bucket,
            Key=key,
            Body=text.encode(),
            ContentType="application/json",
        )
    return f"s3://{opened.settings.bucket}/{key}"


def _drift(args: argparse.Namespace) -> int:
    from training_pipeline.drift import MIN_ROWS, format_report

    if args.days < 1:
        raise OperatorError("--days must be at least 1")
    opened = open_log(args.stage)
    min_rows = MIN_ROWS if args.min_rows is None else args.min_rows
    report, _ = drift_report(opened, days_ending(args.day, args.days), min_rows)
    print(format_report(report))
    print(f"report: {_write_report(opened, report.as_dict(), args)}")
    return 0


def add_commands(commands: Any) -> None:
    command = commands.add_parser(
        "drift", help="compare the last days' logged inputs with the training data"
    )
    command.add_argument("--days", type=int, default=7, help="how many days (default 7)")
    command.add_argument(
        "--day",
        type=day_argument,
        default=datetime.now(UTC).date().isoformat(),
        help="the last day, UTC (default: today)",
    )
    command.add_argument(
        "--min-rows",
        type=int,
        help="fewer rows than this read 'not enough data' (default: drift.MIN_ROWS, 300)",
    )
    command.add_argument("--stage", help="the stage's table and endpoint (default: local)")
    command.add_argument("--report", help="write the JSON report here instead")
    command.add_argument("--job-name", help=argparse.SUPPRESS)  # the processing job's name
    command.set_defaults(handler=_drift)
