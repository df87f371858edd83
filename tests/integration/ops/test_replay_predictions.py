"""`python -m ops replay-predictions`: recoverable log lines back into the prediction log,
idempotently, on a real SQLite file (as a subprocess) and on DynamoDB (moto)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from chalice_app import observability
from chalice_app.ports import PredictionEntry, PriceRange
from tests.conftest import REPO_ROOT, cli_env


def _entry(number: int) -> PredictionEntry:
    return PredictionEntry(
        prediction_id=f"0190f0c0aaaa7000800000000000000{number}",
        created_at=f"2026-12-0{number}T10:00:00.000000+00:00",
        inputs={"type": "casa", "sector": "la reina", "net_usable_area": 120.0},
        value=9000.0 + number,
        model_version="v0001",
        latency_ms=3.5,
        range=PriceRange(low=8000.0, high=10500.0, level=0.8),
    )


def _log_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """What the API wrote when its log refused two entries, between other lines."""
    capsys.readouterr()
    for number in (1, 2):
        observability.unlogged_prediction(_entry(number), "disk I/O error")
    lines = capsys.readouterr().out.splitlines()
    recoverable = [line for line in lines if "recoverable_prediction" in line]
    assert len(recoverable) == 2
    exported = [
        '{"level": "INFO", "message": "unrelated"}',
        "not json at all",
        *(f"2026-12-01T10:00:01Z\t{line}" for line in recoverable),  # a log export's prefix
    ]
    path = tmp_path / "lines.jsonl"
    path.write_text("\n".join(exported) + "\n")
    return path


def _replay(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ops", "replay-predictions", *args],
        cwd=REPO_ROOT,
        env=cli_env(home),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_replaying_twice_writes_each_entry_once_to_the_local_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = _log_file(tmp_path, capsys)
    home = tmp_path / "home"

    first, second = _replay(home, str(lines)), _replay(home, str(lines))

    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("2 predictions written to") and "(2 other lines)" in first.stdout
    assert second.returncode == 0 and second.stdout == first.stdout
    with sqlite3.connect(home / "predictions.sqlite") as db:
        rows = db.execute("SELECT prediction_id, value, range_low FROM predictions").fetchall()
    assert sorted(rows) == [(_entry(n).prediction_id, 9000.0 + n, 8000.0) for n in (1, 2)]


def test_a_line_that_is_not_an_entry_stops_the_replay_naming_it(tmp_path: Path) -> None:
    lines = tmp_path / "bad.jsonl"
    lines.write_text('{"recoverable_prediction": {"prediction_id": "x"}}\n')

    result = _replay(tmp_path / "home", str(lines))

    assert result.returncode == 1
    assert result.stderr.startswith("error: line 1: not a prediction entry")


def test_replaying_into_a_stage_table_is_idempotent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto import mock_aws

    from chalice_app.aws.clients import AwsClients
    from chalice_app.aws.prediction_log import TABLE_SCHEMA, DynamoPredictionLog
    from chalice_app.config import load_aws_settings
    from ops.cli import main

    lines = _log_file(tmp_path, capsys)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "PVP_PREDICTION_TABLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        settings = load_aws_settings(stage="dev")
        dynamodb = AwsClients(settings).source("dynamodb")
        dynamodb().create_table(TableName=settings.prediction_table, **TABLE_SCHEMA)

        assert main(["replay-predictions", str(lines), "--stage", "dev"]) == 0
        assert main(["replay-predictions", str(lines), "--stage", "dev"]) == 0

        log = DynamoPredictionLog(dynamodb, settings.prediction_table)
        stored = [item for day in ("2026-12-01", "2026-12-02") for item in log.read_day(day)]
    assert sorted(item.prediction_id for item in stored) == [
        _entry(1).prediction_id,
        _entry(2).prediction_id,
    ]
    assert json.loads(json.dumps(dict(stored[0].inputs)))["sector"] == "la reina"
    assert capsys.readouterr().out.count("2 predictions written to inference-results") == 2
