"""Prediction ids: UUIDv7 (RFC 9562), the creation time first, so new ids sort last.

A random id (UUIDv4) put each new row on a random leaf of the SQLite log's primary-key
index: once that index outgrew the page cache, every insert dirtied another page, the
WAL filled faster and the checkpoints that restart it stalled writers longer as the log
grew (two processes inserting: stalled time per 125,000 rows 0.8 s at first, 2.0 s past
375,000; with these ids 0.3-0.5 s throughout). The random tail still spreads DynamoDB's
shards, which are taken from an id's last characters (`aws/prediction_log.shard_of`).
"""

from __future__ import annotations

import os
import time
import uuid

_VERSION = 0x7
_VARIANT = 0b10  # RFC 9562


def new_prediction_id(now_ns: int | None = None) -> str:
    """32 hex characters: 48 bits of Unix milliseconds, then 74 random bits."""
    millis = (time.time_ns() if now_ns is None else now_ns) // 1_000_000
    random_bits = int.from_bytes(os.urandom(10), "big")
    rand_a = random_bits >> 68  # 12 bits
    rand_b = random_bits & ((1 << 62) - 1)
    value = (
        (millis & ((1 << 48) - 1)) << 80 | _VERSION << 76 | rand_a << 64 | _VARIANT << 62 | rand_b
    )
    return uuid.UUID(int=value).hex
