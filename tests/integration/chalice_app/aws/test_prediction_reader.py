"""The reader port on both logs: a day reads back every entry written that day, equal,
oldest first, and nothing of the days around it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from chalice_app.aws.clients import AwsClients
from chalice_app.aws.prediction_log import TABLE_SCHEMA, DynamoPredictionLog
from chalice_app.config import AwsSettings
from chalice_app.local.prediction_log import SqlitePredictionLog
from chalice_app.ports import PredictionEntry, PriceRange
from tests.conftest import EXAMPLE_RECORD


def entry(
    created_at: str, *, client: str | None = "default", value: float = 3500.0
) -> PredictionEntry:
    return PredictionEntry(
        prediction_id=uuid.uuid4().hex,
        created_at=created_at,
        inputs={**EXAMPLE_RECORD, "sector": "Ñuñoa", "n_rooms": 3.0},
        value=value,
        model_version="v0002",
        latency_ms=2.5,
        range=PriceRange(3000.0, 4100.0, 0.8),
        client=client,
    )


@pytest.fixture(params=["sqlite", "dynamodb"])
def log(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[SqlitePredictionLog | DynamoPredictionLog]:
    if request.param == "sqlite":
        yield SqlitePredictionLog(tmp_path / "predictions.sqlite")
        return
    aws: AwsClients = request.getfixturevalue("aws")
    settings: AwsSettings = request.getfixturevalue("settings")
    aws.get("dynamodb").create_table(TableName=settings.prediction_table, **TABLE_SCHEMA)
    yield DynamoPredictionLog(aws.source("dynamodb"), settings.prediction_table)


def test_a_day_reads_back_equal_in_time_order(
    log: SqlitePredictionLog | DynamoPredictionLog,
) -> None:
    # GIVEN entries on three days, written out of order, one without a range or client
    day = [
        entry(f"2026-12-03T{hour:02d}:00:00.000001+00:00", value=3500.0 + hour)
        for hour in (17, 0, 23, 9)
    ]
    bare = PredictionEntry(
        uuid.uuid4().hex, "2026-12-03T12:00:00.5+00:00", EXAMPLE_RECORD, 1.5, "v0001", 0.1
    )
    around = [entry("2026-12-02T23:59:59.999999+00:00"), entry("2026-12-04T00:00:00.000000+00:00")]
    for item in [*day, bare, *around]:
        log.record(item)

    # WHEN the day is read
    read = list(log.read_day("2026-12-03"))

    # THEN every entry of that day, equal to what was written, oldest first
    assert read == sorted([*day, bare], key=lambda e: (e.created_at, e.prediction_id))
    assert [type(value) for value in read[0].inputs.values()] == [
        type(value) for value in day[0].inputs.values()
    ]


def test_an_empty_day_reads_nothing(log: SqlitePredictionLog | DynamoPredictionLog) -> None:
    assert list(log.read_day("2026-12-03")) == []


def test_reading_a_local_log_that_does_not_exist_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "predictions.sqlite"
    assert list(SqlitePredictionLog(path).read_day("2026-12-03")) == []
    assert not path.exists()
