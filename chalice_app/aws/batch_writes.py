"""Many DynamoDB items written with BatchWriteItem, inside a deadline.

What AWS documents, and this follows
(https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html):
- at most 25 put requests per call (and 16 MB): a batch is sent 25 items at a time;
- a call may write part of its items and hand the rest back as `UnprocessedItems`
  (throttling, a partition over its throughput): send them again, "using exponential
  backoff" (moto never hands any back, so tests use botocore's Stubber for it);
- a put request takes no condition and replaces an item with the same key. The
  prediction log's keys are unique per prediction, so a put repeated after a lost answer
  writes the same values again: never a copy.
A call that fails whole (throttled, 5xx, timed out) has already been retried by
botocore (standard mode, clients.py); then the rest is not tried: the next call would
most likely fail the same way, and time is the client's.

No call starts after the deadline, and a backoff never sleeps past it: the writes take
at most the deadline plus one call's own worst case (`worst_seconds`).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

# BatchWriteItem's limit on put and delete requests per call.
MAX_ITEMS_PER_CALL = 25
# Backoff before sending unprocessed items again: full jitter over base * 2**n, capped.
BACKOFF_BASE_SECONDS = 0.05
BACKOFF_CAP_SECONDS = 1.0

Item = dict[str, Any]  # a low-level client's item: {"name": {"S": "..."}, ...}


@dataclass(frozen=True)
class BatchWriteResult:
    unwritten: list[Item]  # empty: every item is stored
    reason: str | None  # why some were not, for people


def worst_seconds(deadline_seconds: float, call_worst_seconds: float) -> float:
    """The longest a batch's writes can take: calls start until the deadline, and the
    last one started may take its own worst case (its client's connect and read
    timeouts, attempts and backoff: what the time budget computes for any one call)."""
    return deadline_seconds + call_worst_seconds


def write_items(
    client: Any,
    table: str,
    items: Sequence[Item],
    *,
    seconds: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    jitter: Callable[[], float] = random.random,
) -> BatchWriteResult:
    """Put every item, 25 a call, unprocessed ones again, for at most `seconds`."""
    from botocore.exceptions import BotoCoreError, ClientError

    from chalice_app.aws.clients import error_code

    deadline = clock() + seconds
    pending = list(items)
    retries = 0
    while pending:
        if clock() >= deadline:
            return BatchWriteResult(pending, f"not written within {seconds:g} s")
        chunk = pending[:MAX_ITEMS_PER_CALL]
        requests = [{"PutRequest": {"Item": item}} for item in chunk]
        try:
            answer = client.batch_write_item(RequestItems={table: requests})
        except ClientError as exc:
            return BatchWriteResult(pending, error_code(exc))
        except BotoCoreError as exc:
            return BatchWriteResult(pending, f"{type(exc).__name__}: {exc}")
        returned = answer.get("UnprocessedItems", {}).get(table, [])
        unprocessed = [request["PutRequest"]["Item"] for request in returned]
        pending = unprocessed + pending[len(chunk) :]
        if unprocessed:
            delay = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**retries) * jitter()
            retries += 1
            sleep(max(0.0, min(delay, deadline - clock())))
        else:
            retries = 0
    return BatchWriteResult([], None)
