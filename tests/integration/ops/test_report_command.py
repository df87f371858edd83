"""`python -m ops report predictions --since 7`: a JSON file and a PNG from the log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalice_app.local.prediction_log import SqlitePredictionLog
from contract.metrics import UNLOGGED_PREDICTION
from devtools.synthetic_log import CLIENTS, entries
from ops.replay import FIELD
from tests.integration.ops.conftest import MotoStage, run_ops
from training_pipeline.sample_data import make_sample
from training_pipeline.schema import FEATURES

LAST_DAY = "2026-12-06"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_a_week_reported_from_a_fresh_process(tmp_path: Path) -> None:
    # GIVEN a week of predictions by two versions and three clients, and a server log
    # holding two failed log writes
    home = tmp_path / "home"
    frame = make_sample(700, 9)
    logged = list(
        entries(
            frame[list(FEATURES)],
            frame["price"].to_numpy(float),
            last_day=LAST_DAY,
            days=7,
            version="v0002",
        )
    )
    log = SqlitePredictionLog(home / "predictions.sqlite")
    for entry in logged[:600]:
        log.record(entry)
    old = [e for e in logged[600:]]
    for entry in old:
        log.record(type(entry)(**{**entry.__dict__, "model_version": "v0001"}))
    server_log = tmp_path / "server.log"
    lost = [e.as_record() for e in logged[:2]]
    server_log.write_text(
        "starting\n"
        + "".join(json.dumps({"event": UNLOGGED_PREDICTION, FIELD: r}) + "\n" for r in lost)
    )

    # WHEN the report is made in a new process
    result = run_ops(
        home,
        "report",
        "predictions",
        "--since",
        "7",
        "--day",
        LAST_DAY,
        "--server-log",
        str(server_log),
    )

    # THEN a JSON and a PNG, with every figure the issue lists
    stem = home / "analytics" / "reports" / f"predictions-2026-11-30-{LAST_DAY}"
    assert f"figure: {stem}.png" in result.stdout
    assert stem.with_suffix(".png").read_bytes().startswith(PNG_MAGIC)
    report = json.loads(stem.with_suffix(".json").read_text())
    assert report["rows"] == 700
    assert sum(report["volume_per_day"].values()) == 700 and len(report["volume_per_day"]) == 7
    assert report["model_versions"]["v0001"]["rows"] == 100
    assert report["model_versions"]["v0002"]["share"] == 600 / 700
    assert set(report["by_client"]) == set(CLIENTS) and sum(report["by_client"].values()) == 700
    assert sum(g["rows"] for g in report["by_sector_and_type"]) == 700
    assert {g["type"] for g in report["by_sector_and_type"]} == {"casa", "departamento"}
    assert report["predicted_price"]["p10"] < report["predicted_price"]["p50"]
    assert sum(report["predicted_price"]["histogram"]["counts"]) == 700
    # The synthetic ranges are 0.8x to 1.25x the price: 45% of it wide.
    assert report["range_width"]["p50"] == pytest.approx(0.45)
    assert sum(report["range_width"]["histogram"]["counts"]) == 700
    assert report["latency_ms"]["p50"] <= report["latency_ms"]["p99"] <= report["latency_ms"]["max"]
    failed = report["failed_log_writes"]
    assert failed["total"] == 2 and sum(failed["per_day"].values()) == 2


def test_an_empty_window_still_reports(tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = run_ops(home, "report", "predictions", "--since", "3", "--out", str(tmp_path))
    assert result.stdout.startswith("0 predictions from ")
    (report,) = tmp_path.glob("predictions-*.json")
    assert json.loads(report.read_text())["rows"] == 0
    assert report.with_suffix(".png").is_file()


def test_a_stage_report_reads_its_table_and_its_failed_writes_metric(
    moto_stage: MotoStage,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from datetime import datetime

    from contract.resources import APP_NAME, METRICS_NAMESPACE
    from ops.cli import main

    monkeypatch.setenv("PVP_HOME", str(tmp_path / "home"))
    log = moto_stage.log()
    frame = make_sample(70, 3)
    values = frame["price"].to_numpy(float)
    for entry in entries(frame[list(FEATURES)], values, last_day=LAST_DAY, days=7, version="v0004"):
        log.record(entry)
    # Three failed writes on the last day, as the API's EMF becomes a metric.
    moto_stage.clients.get("cloudwatch").put_metric_data(
        Namespace=METRICS_NAMESPACE,
        MetricData=[
            {
                "MetricName": UNLOGGED_PREDICTION,
                "Dimensions": [
                    {"Name": "service", "Value": APP_NAME},
                    {"Name": "stage", "Value": "dev"},
                ],
                "Timestamp": datetime.fromisoformat(f"{LAST_DAY}T10:00:00+00:00"),
                "Value": 3,
                "Unit": "Count",
            }
        ],
    )
    args = ["report", "predictions", "--stage", "dev", "--since", "7", "--day", LAST_DAY]
    assert main([*args, "--out", str(tmp_path)]) == 0

    out = capsys.readouterr().out
    assert "70 predictions from 2026-11-30 to 2026-12-06 in inference-results" in out
    report = json.loads(next(tmp_path.glob("predictions-*.json")).read_text())
    assert report["model_versions"] == {"v0004": {"rows": 70, "share": 1.0}}
    assert report["failed_log_writes"]["per_day"][LAST_DAY] == 3
    assert report["failed_log_writes"]["total"] == 3
