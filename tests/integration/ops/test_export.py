"""`python -m ops export`: a day of the log to Parquet and back, nothing lost or doubled,
on both logs (SQLite to a directory; DynamoDB on moto to S3); a rerun replaces the day."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from chalice_app.local.prediction_log import SqlitePredictionLog
from chalice_app.ports import PredictionEntry
from contract.resources import PREDICTIONS_EXPORT_PREFIX
from devtools.synthetic_log import entries
from ops import parquet_log
from ops.cli import main
from tests.integration.ops.conftest import MotoStage
from training_pipeline.sample_data import make_sample
from training_pipeline.schema import FEATURES

DAY = "2026-12-03"


def _week() -> list[PredictionEntry]:
    frame = make_sample(700, 5)
    values = frame["price"].to_numpy(dtype=float)
    written = list(
        entries(frame[list(FEATURES)], values, last_day="2026-12-04", days=3, version="v0003")
    )
    # One without a range or a client (written before either existed).
    first = written[0]
    written[0] = PredictionEntry(
        first.prediction_id, first.created_at, first.inputs, first.value, "v0001", 3.0
    )
    return written


def _of_day(written: list[PredictionEntry]) -> list[PredictionEntry]:
    return sorted(
        (e for e in written if e.created_at.startswith(DAY)),
        key=lambda e: (e.created_at, e.prediction_id),
    )


def test_a_local_day_exports_and_reads_back_equal_and_a_rerun_replaces_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a local log holding three days
    monkeypatch.setenv("PVP_HOME", str(tmp_path / "home"))
    log = SqlitePredictionLog(tmp_path / "home" / "predictions.sqlite")
    written = _week()
    for entry in written:
        log.record(entry)

    # WHEN the middle day is exported twice, a stray file planted in between
    assert main(["export", "--day", DAY]) == 0
    day_dir = tmp_path / "home" / "analytics" / "predictions" / f"day={DAY}"
    (day_dir / "part-old.parquet").write_bytes(b"stale")
    assert main(["export", "--day", DAY]) == 0

    # THEN the day is one file holding exactly that day's entries, equal
    assert [p.name for p in day_dir.iterdir()] == [parquet_log.FILENAME]
    assert list(parquet_log.read(day_dir / parquet_log.FILENAME)) == _of_day(written)
    assert len(_of_day(written)) > 200
    out = capsys.readouterr().out
    assert out.count(f"{DAY}: {len(_of_day(written))} predictions -> {day_dir}") == 2


def test_an_empty_day_is_a_file_with_no_rows(tmp_path: Path) -> None:
    assert main(["export", "--day", DAY, "--out", str(tmp_path / "out")]) == 0
    path = tmp_path / "out" / parquet_log.day_path(DAY)
    assert list(parquet_log.read(path)) == []


def test_a_bad_day_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["export", "--day", "2026-13-01"])
    assert exited.value.code == 2
    assert "'2026-13-01' is not a day (YYYY-MM-DD)" in capsys.readouterr().err


def test_a_stage_day_exports_from_its_shard_queries_to_its_bucket_once(
    moto_stage: MotoStage,
) -> None:
    settings, log = moto_stage.settings, moto_stage.log()
    written = _week()
    for entry in written:
        log.record(entry)
    s3 = moto_stage.clients.get("s3")
    folder = f"{PREDICTIONS_EXPORT_PREFIX}/day={DAY}/"
    s3.put_object(Bucket=settings.bucket, Key=f"{folder}part-old.parquet", Body=b"stale")

    assert main(["export", "--day", DAY, "--stage", "dev"]) == 0
    assert main(["export", "--day", DAY, "--stage", "dev"]) == 0

    listed = s3.list_objects_v2(Bucket=settings.bucket, Prefix=f"{PREDICTIONS_EXPORT_PREFIX}/")
    assert [o["Key"] for o in listed["Contents"]] == [f"{folder}{parquet_log.FILENAME}"]
    body = s3.get_object(Bucket=settings.bucket, Key=f"{folder}{parquet_log.FILENAME}")["Body"]
    assert list(parquet_log.read(io.BytesIO(body.read()))) == _of_day(written)


def test_a_bucket_it_cannot_write_is_an_error_not_a_traceback(
    moto_stage: MotoStage, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = moto_stage.settings
    moto_stage.clients.get("s3").delete_bucket(Bucket=settings.bucket)

    assert main(["export", "--day", DAY, "--stage", "dev"]) == 1

    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot write s3://{settings.bucket}/analytics/predictions/")
    assert "NoSuchBucket" in err and "Traceback" not in err
