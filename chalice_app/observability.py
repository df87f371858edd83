"""Where the app's operational signals go: log records and counted events.

The one module call sites use, so the sink (stdlib logging today) can change without
touching them. Nothing here may log an API key.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from dataclasses import asdict

from chalice_app.ports import PredictionEntry

logger = logging.getLogger("chalice_app")

UNLOGGED_PREDICTION = "prediction_log_write_failed"

_counts: Counter[str] = Counter()
_counts_lock = threading.Lock()


def count(event: str, value: int = 1) -> None:
    """Count an operational event (a metric)."""
    with _counts_lock:
        _counts[event] += value


def counts() -> dict[str, int]:
    with _counts_lock:
        return dict(_counts)


def unlogged_prediction(entry: PredictionEntry, reason: str) -> None:
    """An answered prediction the log could not take: the whole entry, recoverable.

    One JSON line an operator (or a later import job) can replay into the log.
    """
    count(UNLOGGED_PREDICTION)
    record = {
        "event": UNLOGGED_PREDICTION,
        "reason": reason,
        "recoverable_prediction": {**asdict(entry), "inputs": dict(entry.inputs)},
    }
    logger.error(json.dumps(record, ensure_ascii=False, default=str))
