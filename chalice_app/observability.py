"""Where the app's operational signals go: Powertools' JSON logs and EMF metrics.

The one module call sites use. Every `chalice_app.*` (and `ecs_proxy.*`) log line is
one JSON object on stdout with service, stage, cold start and a correlation id (API
Gateway's request id; the prediction id where there is one): on Lambda and on ECS
(the awslogs driver) CloudWatch gets the same lines. Counted events are EMF metrics,
summed in memory and flushed after each request on Lambda (a frozen invocation must
have written its own), and in a long-running server once a second (`flush_every`) or
when a measurement reaches EMF's 99 values, whichever comes first: a document per
request cost ~100 us of a ~650 us request.
Powertools is imported on the first request, not at import. Nothing here may log an
API key.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import IO, Any, cast

from chalice_app.config import process_settings
from chalice_app.ports import PredictionEntry
from contract.resources import APP_NAME, METRICS_NAMESPACE
from contract.settings import ConfigurationError

logger = logging.getLogger("chalice_app")

UNLOGGED_PREDICTION = "prediction_log_write_failed"
_LOGGED_PACKAGES = ("chalice_app", "ecs_proxy")

# EMF takes at most 100 values of one metric in a document; Powertools writes one by
# itself at the 100th (and then warns of an empty flush), so ours stops one short.
_MAX_VALUES = 99

_lock = threading.Lock()
_tools: tuple[Any, Any] | None = None  # Powertools' (Logger, Metrics), built once
_cold = True
# Metrics since the last flush: counts summed, measurements kept one by one.
_pending_counts: Counter[str] = Counter()
_pending_values: defaultdict[str, list[float]] = defaultdict(list)
_flush_seconds = 0.0  # 0: after every request (Lambda, tests)
_flushed_at = 0.0


class _CurrentStdout:
    """Writes to whatever sys.stdout is now (a test runner swaps it per test)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


def _stage() -> str:
    try:
        return process_settings().stage
    except ConfigurationError:
        return "unknown"  # logging must work anyway: the wiring logs why, and answers 503


def setup() -> tuple[Any, Any]:
    """Powertools' Logger and Metrics for this process (built on first use)."""
    global _tools
    if _tools is None:
        with _lock:
            if _tools is None:
                from aws_lambda_powertools import Logger, Metrics

                stage = _stage()
                json_logger = Logger(
                    service=APP_NAME, stream=cast(IO[str], _CurrentStdout()), utc=True
                )
                json_logger.append_keys(stage=stage)
                for name in _LOGGED_PACKAGES:
                    package = logging.getLogger(name)
                    package.addHandler(json_logger.logger_handler)
                    package.setLevel(logging.INFO)
                    # Lambda's runtime puts a handler on the root logger: one line, not two.
                    package.propagate = False
                metrics = Metrics(namespace=METRICS_NAMESPACE, service=APP_NAME)
                metrics.set_default_dimensions(stage=stage)
                _tools = (json_logger, metrics)
    return _tools


def begin_request(request_id: str | None) -> None:
    global _cold
    json_logger, _ = setup()
    json_logger.append_keys(cold_start=_cold)
    _cold = False
    json_logger.set_correlation_id(request_id)


@contextmanager
def request(request_id: str | None) -> Iterator[None]:
    """One request or invocation: its log lines carry its id, its metrics leave at its end."""
    begin_request(request_id)
    try:
        yield
    finally:
        end_request()


def invocation(
    handler: Callable[[Any, Any], dict[str, Any]],
) -> Callable[[Any, Any], dict[str, Any]]:
    """A Lambda function's handler whose log lines carry the invocation's request id and
    whose metrics leave when it ends."""

    @wraps(handler)
    def run(event: Any, context: Any) -> dict[str, Any]:
        with request(getattr(context, "aws_request_id", None)):
            return handler(event, context)

    return run


def flush_every(seconds: float) -> None:
    """Let metrics wait up to `seconds` before they are written (long-running servers)."""
    global _flush_seconds
    _flush_seconds = seconds


def end_request() -> None:
    """Write the pending metrics if their time has come (always, by default)."""
    if time.monotonic() - _flushed_at >= _flush_seconds:
        flush()


def flush() -> None:
    """Write every pending metric as one EMF document now (also at a server's exit)."""
    global _flushed_at
    with _lock:
        counts, values = dict(_pending_counts), dict(_pending_values)
        _pending_counts.clear()
        _pending_values.clear()
        _flushed_at = time.monotonic()
    if not counts and not values:
        return
    from aws_lambda_powertools.metrics import MetricUnit

    metrics = setup()[1]
    for name, total in counts.items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=total)
    for name, measured in values.items():
        for value in measured:
            metrics.add_metric(name=name, unit=MetricUnit.Milliseconds, value=value)
    metrics.flush_metrics()


def count(event: str, value: int = 1) -> None:
    """Count an operational event: an EMF metric."""
    with _lock:
        _pending_counts[event] += value


def measure_ms(name: str, milliseconds: float) -> None:
    with _lock:
        _pending_values[name].append(milliseconds)
        full = len(_pending_values[name]) >= _MAX_VALUES
    if full:
        flush()


def unlogged_prediction(entry: PredictionEntry, reason: str) -> None:
    """An answered prediction the log could not take: the whole entry, recoverable.

    One JSON line an operator (or a later import job) can replay into the log.
    """
    count(UNLOGGED_PREDICTION)
    setup()
    record = entry.as_record()
    logger.error(
        "prediction answered but not logged",
        extra={
            "event": UNLOGGED_PREDICTION,
            "reason": reason,
            "prediction_id": entry.prediction_id,
            "recoverable_prediction": record,
        },
    )
