from __future__ import annotations

import time
import uuid
from collections import Counter

from chalice_app.aws.prediction_log import SHARDS, shard_of
from chalice_app.prediction_ids import new_prediction_id


def test_an_id_is_a_uuid7_that_starts_with_its_time() -> None:
    now_ns = 1_764_480_000_123_456_789
    parsed = uuid.UUID(hex=new_prediction_id(now_ns))

    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122
    assert parsed.int >> 80 == now_ns // 1_000_000


def test_later_ids_sort_after_earlier_ones() -> None:
    # What keeps the log's index appending instead of splitting random pages.
    earlier = [new_prediction_id(ns) for ns in range(0, 10**9, 10**7)]
    later = new_prediction_id(2 * 10**9)

    assert earlier == sorted(earlier)
    assert later > max(earlier)


def test_ids_made_in_the_same_millisecond_differ() -> None:
    now_ns = time.time_ns()
    ids = {new_prediction_id(now_ns) for _ in range(10_000)}

    assert len(ids) == 10_000
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


def test_ids_of_one_instant_spread_over_every_dynamodb_shard() -> None:
    now_ns = time.time_ns()
    counts = Counter(shard_of(new_prediction_id(now_ns)) for _ in range(5_000))

    assert set(counts) == set(range(SHARDS))
    assert max(counts.values()) < 2 * min(counts.values())
