"""Every prediction as one DynamoDB item, under a key that cannot collide.

Key design (table `inference-results-logging-table-{stage}`):
- partition key `day_shard` = "<UTC day>#<shard>", e.g. "2026-11-30#07": one day's
  items spread over SHARDS partitions, derived from the prediction id, so a busy day
  never puts every write on one partition (1,000 writes/s each);
- sort key `created_id` = "<created_at ISO-8601 UTC>#<prediction_id>": unique even for
  two predictions in the same microsecond, and in time order inside a partition.
One day in time order is SHARDS Query calls merged on the sort key: no Scan.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from chalice_app.aws.batch_writes import write_items
from chalice_app.aws.clients import ClientSource
from chalice_app.aws.items import from_item, no_whole_numbers, put_if_new, to_item
from chalice_app.errors import BatchLogError, PredictionLogError
from chalice_app.ports import PredictionEntry, PriceRange
from contract.environment import BATCH_LOG_SECONDS

SHARDS = 10
PARTITION_KEY, SORT_KEY = "day_shard", "created_id"
# What CloudFormation (and make run-moto) create; the adapter needs nothing more.
TABLE_SCHEMA: dict[str, Any] = {
    "KeySchema": [
        {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
        {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
    ],
    "AttributeDefinitions": [
        {"AttributeName": PARTITION_KEY, "AttributeType": "S"},
        {"AttributeName": SORT_KEY, "AttributeType": "S"},
    ],
    "BillingMode": "PAY_PER_REQUEST",
}


def from_log(item: dict[str, Any]) -> dict[str, Any]:
    """A logged prediction's values: every number in it is a float (the request's areas
    and counts, the price, its range, the latency)."""
    return from_item(item, no_whole_numbers)


def shard_of(prediction_id: str) -> int:
    return int.from_bytes(prediction_id.encode()[-4:], "big") % SHARDS


def keys_for(entry: PredictionEntry) -> dict[str, str]:
    day = entry.created_at[:10]
    return {
        PARTITION_KEY: f"{day}#{shard_of(entry.prediction_id):02d}",
        SORT_KEY: f"{entry.created_at}#{entry.prediction_id}",
    }


def entry_values(entry: PredictionEntry) -> dict[str, Any]:
    """An entry as the item both writes store (None values are left out by to_item)."""
    return {
        **keys_for(entry),
        "prediction_id": entry.prediction_id,
        "created_at": entry.created_at,
        "inputs": dict(entry.inputs),
        "value": entry.value,
        "model_version": entry.model_version,
        "latency_ms": entry.latency_ms,
        **{name: value for name, value in entry.range_columns().items() if value is not None},
        "client": entry.client,  # None is left out (to_item)
    }


class DynamoPredictionLog:
    def __init__(
        self,
        client: ClientSource,
        table: str,
        *,
        batch_seconds: float = BATCH_LOG_SECONDS.default,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._table = table
        self._batch_seconds = batch_seconds
        self._clock = clock
        self._sleep = sleep

    def record(self, entry: PredictionEntry) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            # botocore retries throttling and timeouts (standard mode, see clients.py);
            # an item already there is this very entry, stored by an earlier try.
            put_if_new(self._client(), self._table, entry_values(entry), PARTITION_KEY)
        except ClientError as exc:
            raise PredictionLogError(f"{self._table}: {exc.response['Error']['Code']}") from None
        except BotoCoreError as exc:
            raise PredictionLogError(f"{self._table}: {type(exc).__name__}: {exc}") from None

    def record_many(self, entries: Sequence[PredictionEntry]) -> None:
        """BatchWriteItem, 25 a call, within `batch_seconds` (batch_writes.py)."""
        items = [to_item(entry_values(entry)) for entry in entries]
        result = write_items(
            self._client(),
            self._table,
            items,
            seconds=self._batch_seconds,
            clock=self._clock,
            sleep=self._sleep,
        )
        if result.unwritten:
            ids = [item["prediction_id"]["S"] for item in result.unwritten]
            raise BatchLogError(
                f"{self._table}: {result.reason}; {len(ids)} of {len(items)} not written", ids
            )

    def read_day(self, day: str) -> Iterator[PredictionEntry]:
        """Every prediction of one UTC day (YYYY-MM-DD), oldest first (PredictionReader).

        SHARDS Query calls merged on the sort key, never a Scan: a day costs what it
        holds, whatever the table's size. Eventually consistent reads (half the price):
        a day is read once it is over.
        """
        from botocore.exceptions import BotoCoreError, ClientError

        shards = [self._query(f"{day}#{shard:02d}") for shard in range(SHARDS)]
        try:
            for item in heapq.merge(*shards, key=lambda item: item[SORT_KEY]):
                yield entry_of(item)
        except ClientError as exc:
            raise PredictionLogError(f"{self._table}: {exc.response['Error']['Code']}") from None
        except BotoCoreError as exc:
            raise PredictionLogError(f"{self._table}: {type(exc).__name__}: {exc}") from None

    def _query(self, partition: str) -> Iterator[dict[str, Any]]:
        pages = (
            self._client()
            .get_paginator("query")
            .paginate(
                TableName=self._table,
                KeyConditionExpression=f"{PARTITION_KEY} = :p",
                ExpressionAttributeValues={":p": {"S": partition}},
            )
        )
        for page in pages:
            for item in page["Items"]:
                yield from_log(item)


def entry_of(item: dict[str, Any]) -> PredictionEntry:
    """The entry an item holds (`record` wrote it). DynamoDB gives numbers back without
    trailing zeroes (3500.0 reads 3500): floats are floats again here."""
    low, high, level = (item.get(name) for name in ("range_low", "range_high", "range_level"))
    inputs = {
        name: float(value) if isinstance(value, int) and not isinstance(value, bool) else value
        for name, value in item["inputs"].items()
    }
    return PredictionEntry(
        prediction_id=str(item["prediction_id"]),
        created_at=str(item["created_at"]),
        inputs=inputs,
        value=float(item["value"]),
        model_version=str(item["model_version"]),
        latency_ms=float(item["latency_ms"]),
        range=None
        if low is None or high is None or level is None
        else PriceRange(float(low), float(high), float(level)),
        client=item.get("client"),
    )
