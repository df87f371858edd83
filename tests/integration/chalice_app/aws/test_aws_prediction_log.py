"""DynamoDB prediction log on moto: unique items, one day in time order, failed writes."""

from __future__ import annotations

import threading
import uuid
from decimal import Decimal

import pytest

from chalice_app.aws.clients import AwsClients
from chalice_app.aws.prediction_log import TABLE_SCHEMA, DynamoPredictionLog
from chalice_app.config import AwsSettings
from chalice_app.errors import PredictionLogError
from chalice_app.ports import PredictionEntry
from tests.conftest import EXAMPLE_RECORD

SAME_INSTANT = "2026-11-30T12:00:00.000001+00:00"


def _entry(created_at: str = SAME_INSTANT) -> PredictionEntry:
    return PredictionEntry(uuid.uuid4().hex, created_at, EXAMPLE_RECORD, 4321.5, "v0001", 1.25)


@pytest.fixture
def log(aws: AwsClients, settings: AwsSettings) -> DynamoPredictionLog:
    aws.get("dynamodb").create_table(TableName=settings.prediction_table, **TABLE_SCHEMA)
    return DynamoPredictionLog(aws.source("dynamodb"), settings.prediction_table)


def test_concurrent_puts_in_the_same_instant_each_keep_their_own_item(
    log: DynamoPredictionLog, aws: AwsClients, settings: AwsSettings
) -> None:
    # GIVEN 8 threads logging 25 predictions each, all stamped with the same microsecond
    entries = [[_entry() for _ in range(25)] for _ in range(8)]

    def write(batch: list[PredictionEntry]) -> None:
        for entry in batch:
            log.record(entry)

    threads = [threading.Thread(target=write, args=(batch,)) for batch in entries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # THEN every one is stored (the old table's bare-timestamp key kept one of them)
    stored = list(log.read_day("2026-11-30"))
    assert sorted(item.prediction_id for item in stored) == sorted(
        e.prediction_id for batch in entries for e in batch
    )
    assert aws.get("dynamodb").scan(TableName=settings.prediction_table, Select="COUNT")[
        "Count"
    ] == len(stored)


def test_a_day_reads_back_in_time_order_with_its_values(log: DynamoPredictionLog) -> None:
    times = [f"2026-11-30T{h:02d}:{m:02d}:00.000000+00:00" for h in (23, 0, 9) for m in (5, 1)]
    for created_at in times:
        log.record(_entry(created_at))
    log.record(_entry("2026-12-01T00:00:00.000000+00:00"))  # another day, not read
    day = list(log.read_day("2026-11-30"))
    assert [item.created_at for item in day] == sorted(times)
    first = day[0]
    assert first.inputs == EXAMPLE_RECORD and first.value == 4321.5
    assert first.model_version == "v0001" and first.latency_ms == 1.25


def test_floats_are_stored_as_decimals_exactly(
    log: DynamoPredictionLog, aws: AwsClients, settings: AwsSettings
) -> None:
    log.record(_entry())
    item = aws.get("dynamodb").scan(TableName=settings.prediction_table)["Items"][0]
    assert item["value"] == {"N": "4321.5"}
    assert Decimal(item["inputs"]["M"]["latitude"]["N"]) == Decimal("-33.43")


def test_a_retried_put_whose_first_try_landed_is_not_an_error(log: DynamoPredictionLog) -> None:
    entry = _entry()
    log.record(entry)
    log.record(entry)  # the condition refuses a copy; the entry is stored once
    assert len(list(log.read_day("2026-11-30"))) == 1


def test_a_missing_table_is_a_prediction_log_error(aws: AwsClients) -> None:
    log = DynamoPredictionLog(aws.source("dynamodb"), "no-such-table")
    with pytest.raises(PredictionLogError) as caught:
        log.record(_entry())
    assert "ResourceNotFoundException" in str(caught.value)
