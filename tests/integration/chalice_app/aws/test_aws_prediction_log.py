"""DynamoDB prediction log on moto: unique items, one day in time order, failed writes."""

from __future__ import annotations

import threading
import uuid
from decimal import Decimal
from typing import Any

import pytest

from chalice_app.aws.batch_writes import BACKOFF_BASE_SECONDS
from chalice_app.aws.clients import AwsClients, fixed
from chalice_app.aws.items import to_item
from chalice_app.aws.prediction_log import TABLE_SCHEMA, DynamoPredictionLog, entry_values
from chalice_app.config import AwsSettings
from chalice_app.errors import BatchLogError, PredictionLogError
from chalice_app.ports import PredictionEntry
from tests.aws_calls import CallCounter
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


def _batch(count: int) -> list[PredictionEntry]:
    return [_entry(f"2026-11-30T12:00:{i // 1000:02d}.{i % 1000:06d}+00:00") for i in range(count)]


def test_a_batch_is_written_25_items_a_call_and_reads_back_whole(
    log: DynamoPredictionLog, aws: AwsClients
) -> None:
    entries = _batch(60)
    calls = CallCounter(aws.get("dynamodb"), "BatchWriteItem")
    log.record_many(entries)
    assert calls.calls == 3  # 25 + 25 + 10: BatchWriteItem's limit per call
    log.record_many(entries)  # the same batch again (a retry): the same items, no copies
    day = list(log.read_day("2026-11-30"))
    assert sorted(entry.prediction_id for entry in day) == sorted(e.prediction_id for e in entries)
    assert all(entry.value == 4321.5 and entry.inputs == EXAMPLE_RECORD for entry in day)


def test_a_batch_to_a_missing_table_names_every_entry_left_out(aws: AwsClients) -> None:
    entries = _batch(30)
    log = DynamoPredictionLog(aws.source("dynamodb"), "no-such-table")
    with pytest.raises(BatchLogError) as caught:
        log.record_many(entries)
    assert caught.value.unlogged_ids == {e.prediction_id for e in entries}
    assert "ResourceNotFoundException" in str(caught.value)


class TickingClock:
    """Each reading is one second later than the last; sleeping moves it on too."""

    def __init__(self) -> None:
        self.now = -1.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        self.now += 1.0
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _requests(table: str, entries: list[PredictionEntry]) -> dict[str, Any]:
    items = [to_item(entry_values(entry)) for entry in entries]
    return {"RequestItems": {table: [{"PutRequest": {"Item": item}} for item in items]}}


def _unprocessed(table: str, entries: list[PredictionEntry]) -> dict[str, Any]:
    return {"UnprocessedItems": _requests(table, entries)["RequestItems"]}


@pytest.fixture
def dynamodb(aws: AwsClients) -> Any:
    # moto writes every item of a BatchWriteItem at once: the answers AWS may give
    # (UnprocessedItems, a call failing whole) come from botocore's Stubber, which holds
    # each exact request.
    from botocore.stub import Stubber

    client = aws.get("dynamodb")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


def test_unprocessed_items_are_sent_again_after_a_backoff(dynamodb: Any) -> None:
    client, stub = dynamodb
    entries = _batch(30)
    handed_back = [entries[3], entries[7]]
    stub.add_response(
        "batch_write_item", _unprocessed("t", handed_back), _requests("t", entries[:25])
    )
    stub.add_response("batch_write_item", {}, _requests("t", handed_back + entries[25:]))
    clock = TickingClock()
    log = DynamoPredictionLog(fixed(client), "t", batch_seconds=60, clock=clock, sleep=clock.sleep)
    log.record_many(entries)
    (backoff,) = clock.slept
    assert 0 <= backoff <= BACKOFF_BASE_SECONDS


def test_past_its_deadline_a_batch_names_exactly_the_entries_left_out(dynamodb: Any) -> None:
    client, stub = dynamodb
    entries = _batch(30)
    handed_back = [entries[3], entries[7]]
    stub.add_response(
        "batch_write_item", _unprocessed("t", handed_back), _requests("t", entries[:25])
    )
    # GIVEN a clock that reads one second later each time, and 1.5 s for the writes
    clock = TickingClock()
    log = DynamoPredictionLog(fixed(client), "t", batch_seconds=1.5, clock=clock, sleep=clock.sleep)
    # WHEN the first call hands two items back, THEN no call starts after the deadline
    with pytest.raises(BatchLogError) as caught:
        log.record_many(entries)
    assert caught.value.unlogged_ids == {e.prediction_id for e in handed_back + entries[25:]}
    assert "not written within 1.5 s" in str(caught.value)
    assert clock.slept == [0.0]  # the backoff never sleeps past the deadline


def test_a_call_failing_whole_leaves_it_and_the_rest_unwritten(dynamodb: Any) -> None:
    client, stub = dynamodb
    entries = _batch(60)
    stub.add_response("batch_write_item", {}, _requests("t", entries[:25]))
    stub.add_client_error(
        "batch_write_item",
        "ProvisionedThroughputExceededException",
        expected_params=_requests("t", entries[25:50]),
    )
    with pytest.raises(BatchLogError) as caught:
        DynamoPredictionLog(fixed(client), "t").record_many(entries)
    assert caught.value.unlogged_ids == {e.prediction_id for e in entries[25:]}
    assert "ProvisionedThroughputExceededException" in str(caught.value)
