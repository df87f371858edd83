"""`report predictions --since DAYS`: what the model was asked, as a JSON file and a PNG.

Volume per day, each model version's share, answers by sector and type and per client,
the distribution of predicted prices and of range widths, latency percentiles, and the
failed log writes. Reads the log through its reader (the local SQLite log, or with
`--stage` the stage's table, day by day with the shard queries); failed writes are
counted from the `prediction_log_write_failed` lines of a server log (`--server-log`,
the file `replay-predictions` reads) and, on a stage, from the CloudWatch metric.

pandas, not DuckDB: the rows arrive through the reader port as Python objects (both
backends), a month of them fits in memory many times over, and pandas is already in
the model image; SQL over the exported Parquet is Athena's job (infra/analytics.yaml).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from ops.errors import OperatorError, aws_call
from ops.export import ANALYTICS_DIRNAME, day_argument
from ops.prediction_logs import OpenedLog, open_log

REPORTS_DIRNAME = "reports"
UNKNOWN_CLIENT = "(unknown)"
PERCENTILES = (50, 90, 99)
PRICE_BINS = 30


def failed_writes(lines: Iterable[str]) -> dict[str, int]:
    """Failed log writes per UTC day, from the recoverable lines of a server log."""
    from ops.replay import FIELD, json_objects

    per_day: dict[str, int] = {}
    for found in json_objects(lines):
        record = found.get(FIELD) if found is not None else None
        if isinstance(record, dict) and isinstance(record.get("created_at"), str):
            day = record["created_at"][:10]
            per_day[day] = per_day.get(day, 0) + 1
    return per_day


def failed_writes_metric(opened: OpenedLog, days: Sequence[str]) -> dict[str, int]:
    """The stage's `prediction_log_write_failed` metric, summed per UTC day."""
    from contract.metrics import UNLOGGED_PREDICTION

    start = datetime.fromisoformat(days[0]).replace(tzinfo=UTC)
    with aws_call(f"read the {UNLOGGED_PREDICTION} metric"):
        answer = _failed_metric(opened, start, len(days))
    return {
        point["Timestamp"].astimezone(UTC).date().isoformat(): int(point["Sum"])
        for point in answer.get("Datapoints", [])
    }


def _failed_metric(opened: OpenedLog, start: datetime, days: int) -> Any:
    from contract.metrics import UNLOGGED_PREDICTION
    from contract.resources import APP_NAME, METRICS_NAMESPACE

    return opened.clients.get("cloudwatch").get_metric_statistics(
        Namespace=METRICS_NAMESPACE,
        MetricName=UNLOGGED_PREDICTION,
        Dimensions=[
            {"Name": "service", "Value": APP_NAME},
            {"Name": "stage", "Value": opened.settings.stage},
        ],
        StartTime=start,
        EndTime=start + timedelta(days=days),
        Period=86400,
        Statistics=["Sum"],
    )


def _quantiles(values: Any, points: Sequence[int]) -> dict[str, float | None]:
    if len(values) == 0:
        return {f"p{p}": None for p in points}
    return {f"p{p}": float(values.quantile(p / 100)) for p in points}


def summarize(
    entries: Sequence[Any], days: Sequence[str], failed: dict[str, int] | None
) -> dict[str, Any]:
    """The report's figures (plain JSON values) from the window's log entries."""
    import numpy as np
    import pandas as pd

    from training_pipeline.schema import normalize_category

    frame = pd.DataFrame(
        {
            "day": [e.created_at[:10] for e in entries],
            "version": [e.model_version for e in entries],
            "client": [e.client or UNKNOWN_CLIENT for e in entries],
            "sector": [normalize_category(str(e.inputs.get("sector"))) for e in entries],
            "type": [normalize_category(str(e.inputs.get("type"))) for e in entries],
            "value": [e.value for e in entries],
            "width": [
                (e.range.high - e.range.low) / e.value if e.range and e.value else np.nan
                for e in entries
            ],
            "latency": [e.latency_ms for e in entries],
        }
    )
    rows = len(frame)
    versions = frame["version"].value_counts()
    groups = frame.groupby(["sector", "type"])["value"].agg(["size", "median"]).reset_index()
    prices = frame["value"][frame["value"] > 0]
    widths = frame["width"].dropna()
    histogram: dict[str, list[float]] = {"edges": [], "counts": []}
    width_histogram: dict[str, list[float]] = {"edges": [], "counts": []}
    if len(prices):
        counts, edges = np.histogram(np.log10(prices), bins=PRICE_BINS)
        histogram = {"edges": [float(10**e) for e in edges], "counts": [int(c) for c in counts]}
    if len(widths):
        # From zero: widths that are all alike still get bins, and zero is the reference.
        top = max(float(widths.max()) * 1.1, 1e-6)
        counts, edges = np.histogram(widths, bins=PRICE_BINS, range=(0.0, top))
        width_histogram = {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]}
    return {
        "window": {"first_day": days[0], "last_day": days[-1], "days": len(days)},
        "rows": rows,
        "volume_per_day": {day: int((frame["day"] == day).sum()) for day in days},
        "model_versions": {
            str(v): {"rows": int(n), "share": float(n / rows)} for v, n in versions.items()
        },
        "by_sector_and_type": [
            {
                "sector": g.sector,
                "type": g.type,
                "rows": int(g.size),
                "median_value": float(g.median),
            }
            for g in groups.itertuples()
        ],
        "by_client": {str(c): int(n) for c, n in frame["client"].value_counts().items()},
        "predicted_price": {**_quantiles(frame["value"], (10, 50, 90)), "histogram": histogram},
        # (high - low) / value: the share of its price an answer's range spans.
        "range_width": {**_quantiles(widths, (10, 50, 90)), "histogram": width_histogram},
        "latency_ms": {
            **_quantiles(frame["latency"], PERCENTILES),
            "max": float(frame["latency"].max()) if rows else None,
        },
        "failed_log_writes": None
        if failed is None
        else {
            "per_day": {day: failed.get(day, 0) for day in days},
            "total": sum(failed.get(day, 0) for day in days),
        },
    }


def _report(args: argparse.Namespace) -> int:
    from ops.drift import logged
    from ops.report_figure import draw

    if args.since < 1:
        raise OperatorError("--since must be at least 1 day")
    last = date.fromisoformat(args.day) if args.day else datetime.now(UTC).date()
    days = [(last - timedelta(days=back)).isoformat() for back in range(args.since - 1, -1, -1)]
    opened = open_log(args.stage)
    failed: dict[str, int] | None = None
    if args.server_log:
        with open(args.server_log, encoding="utf-8") as lines:
            failed = failed_writes(lines)
    if opened.clients is not None:
        metric = failed_writes_metric(opened, days)
        failed = {day: max(metric.get(day, 0), (failed or {}).get(day, 0)) for day in days}
    summary = {"source": opened.where, **summarize(logged(opened.log, days), days, failed)}
    out = Path(args.out) if args.out else _home(opened) / ANALYTICS_DIRNAME / REPORTS_DIRNAME
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"predictions-{days[0]}-{days[-1]}"
    json_path, png_path = stem.with_suffix(".json"), stem.with_suffix(".png")
    json_path.write_text(json.dumps(summary, indent=1))
    draw(summary, png_path)
    print(f"{summary['rows']} predictions from {days[0]} to {days[-1]} in {opened.where}")
    print(f"report: {json_path}")
    print(f"figure: {png_path}")
    return 0


def _home(opened: OpenedLog) -> Path:
    if opened.clients is None:
        return Path(opened.settings.home)
    from chalice_app.config import load_local_settings

    return load_local_settings().home


def add_commands(commands: Any) -> None:
    report = commands.add_parser("report", help="reports on the prediction log")
    kinds = report.add_subparsers(dest="report", required=True)
    predictions = kinds.add_parser(
        "predictions", help="volume, versions, sectors, clients, prices, latency: JSON and PNG"
    )
    predictions.add_argument("--since", type=int, default=7, help="days, ending today (7)")
    predictions.add_argument(
        "--day", type=day_argument, help="the last day instead of today (YYYY-MM-DD)"
    )
    predictions.add_argument("--stage", help="the stage's table (default: the local log)")
    predictions.add_argument("--server-log", help="count failed log writes in this server log")
    predictions.add_argument("--out", help="directory (default: $PVP_HOME/analytics/reports)")
    predictions.set_defaults(handler=_report)
