"""`python -m ops drift --days 7` on a local home: the deployed version's profile against
the last week of the SQLite log, printed as a table and written as a JSON report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from chalice_app.local.prediction_log import SqlitePredictionLog
from devtools.synthetic_log import SHIFTED, entries, week
from ops.cli import main
from tests.integration.ops.conftest import MotoStage, run_ops
from training_pipeline.profile import PROFILE_FILENAME
from training_pipeline.registry import LocalRegistry

LAST_DAY = "2026-12-06"


def _home_with_week(trained_home: Path, target: Path, *, shifted: bool, rows: int) -> Path:
    shutil.copytree(trained_home, target)
    registry = LocalRegistry(target)
    found = registry.deployed_model()
    assert found is not None
    version, model = found
    frame, values = week(model, rows, seed=31, shifted=shifted)
    log = SqlitePredictionLog(target / "predictions.sqlite")
    for entry in entries(frame, values, last_day=LAST_DAY, days=7, version=version):
        log.record(entry)
    return target


def test_a_stable_week_from_a_fresh_process(trained_home: Path, tmp_path: Path) -> None:
    home = _home_with_week(trained_home, tmp_path / "home", shifted=False, rows=2100)
    result = run_ops(home, "drift", "--days", "7", "--day", LAST_DAY)
    assert result.stdout.startswith("drift: stable (2100 rows, against v0001's training data)")
    report_path = home / "analytics" / "drift" / f"drift-{LAST_DAY}.json"
    assert f"report: {report_path}" in result.stdout
    report = json.loads(report_path.read_text())
    assert report["status"] == "stable" and report["drifted_features"] == []
    assert report["window"] == {"first_day": "2026-11-30", "last_day": LAST_DAY}


def test_a_shifted_week_names_what_moved(
    trained_home: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home = _home_with_week(trained_home, tmp_path / "home", shifted=True, rows=2100)
    monkeypatch.setenv("PVP_HOME", str(home))
    report_path = tmp_path / "drift.json"
    assert main(["drift", "--day", LAST_DAY, "--report", str(report_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("drift: drifted (2100 rows")
    assert "unseen: colina" in out
    assert sorted(json.loads(report_path.read_text())["drifted_features"]) == sorted(SHIFTED)


def test_ten_rows_and_no_profile(
    trained_home: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home = _home_with_week(trained_home, tmp_path / "home", shifted=True, rows=10)
    monkeypatch.setenv("PVP_HOME", str(home))
    assert main(["drift", "--day", LAST_DAY]) == 0
    assert capsys.readouterr().out.startswith("drift: not enough data (10 rows")

    # A version trained before profiles existed has no reference to compare with.
    location = LocalRegistry(home).deployed_location()
    assert location is not None
    (location[1] / PROFILE_FILENAME).unlink()
    assert main(["drift", "--day", LAST_DAY]) == 0
    out = capsys.readouterr().out
    assert out.startswith("drift: no reference (10 rows")
    assert "has no profile" in out


def test_a_stage_without_a_served_model_has_no_reference(
    moto_stage: MotoStage, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = moto_stage.settings
    assert main(["drift", "--stage", "dev", "--day", LAST_DAY, "--job-name", "manual-1"]) == 0
    report = moto_stage.clients.get("s3").get_object(
        Bucket=settings.bucket, Key=settings.names.drift_report_key("manual-1")
    )
    out = capsys.readouterr().out
    assert out.startswith("drift: no reference (0 rows)")
    assert json.loads(report["Body"].read())["status"] == "no reference"
