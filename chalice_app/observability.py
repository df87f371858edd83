"""Where the app's operational signals go: Powertools' JSON logs and EMF metrics.

The one module call sites use. Every `chalice_app.*` (and `ecs_proxy.*`) log line is
one JSON object on stdout with service, stage, cold start and a correlation id (API
Gateway's request id; the prediction id where there is one): on Lambda and on ECS
(FireLens, infra/ecs.yaml) CloudWatch gets the same lines. Every answer is counted by
its front (`serve_as`: Lambda's, or the proxy's ECS) and status class, which the 503
alarms read. Counted events are EMF metrics,
summed in memory and flushed after each request on Lambda (a frozen invocation must
have written its own), and in a long-running server once a second (`flush_every`) or
when a measurement reaches EMF's 99 values, whichever comes first: a document per
request cost ~100 us of a ~650 us request.
Powertools is imported on the first request, not at import. Nothing here may log an
API key.
"""

from __future__ import annotations

import functools
import logging
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any, Literal, cast

from chalice_app.config import process_settings
from chalice_app.ports import PredictionEntry
from contract.metrics import (
    ANSWERS,
    COLD_START,
    ERROR_DIMENSION,
    ERRORS,
    FRONT_DIMENSION,
    FRONT_LAMBDA,
    FUNCTION_DIMENSION,
    ROLLOUT_AGE,
    SERVICE_DIMENSION,
    STAGE_DIMENSION,
    STATUS_CLASS_DIMENSION,
    UNLOGGED_PREDICTION,
    status_class,
)
from contract.resources import (
    APP_NAME,
    DRIFTED_FEATURES_METRIC,
    FEATURE_DIMENSION,
    FEATURE_PSI_METRIC,
    METRICS_NAMESPACE,
)
from contract.settings import ConfigurationError

logger = logging.getLogger("chalice_app")

_LOGGED_PACKAGES = ("chalice_app", "ecs_proxy")

# EMF takes at most 100 values of one metric in a document; Powertools writes one by
# itself at the 100th (and then warns of an empty flush), so ours stops one short.
_MAX_VALUES = 99

_lock = threading.Lock()
_tools: tuple[Any, Any] | None = None  # Powertools' (Logger, Metrics), built once
_cold = True
# Metrics since the last flush: counts summed, measurements kept one by one.
_pending_counts: Counter[str] = Counter()
# Counts with dimensions of their own: (metric, ((dimension, value), ...)) -> total.
_pending_dimensioned: Counter[tuple[str, tuple[tuple[str, str], ...]]] = Counter()
_pending_values: defaultdict[str, list[float]] = defaultdict(list)
_pending_cold_start: str | None = None  # the function whose cold start is not written yet
_flush_seconds = 0.0  # 0: after every request (Lambda, tests)
_flushed_at = 0.0
_front = FRONT_LAMBDA


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
                    # Powertools resolves POWERTOOLS_LOG_LEVEL (INFO by default).
                    package.setLevel(json_logger.log_level)
                    # Lambda's runtime puts a handler on the root logger: one line, not two.
                    package.propagate = False
                metrics = Metrics(namespace=METRICS_NAMESPACE, service=APP_NAME)
                metrics.set_default_dimensions(**{STAGE_DIMENSION: stage})
                _tools = (json_logger, metrics)
    return _tools


def begin_request(request_id: str | None, function: str | None = None) -> None:
    global _cold, _pending_cold_start
    json_logger, _ = setup()
    json_logger.append_keys(cold_start=_cold)
    if _cold:
        with _lock:
            _pending_cold_start = function or "unknown"
    _cold = False
    json_logger.set_correlation_id(request_id)


@contextmanager
def request(request_id: str | None, function: str | None = None) -> Iterator[None]:
    """One request or invocation: its log lines carry its id, its metrics leave at its end.

    `function` names the Lambda function (or the server) in the cold-start metric.
    """
    begin_request(request_id, function)
    try:
        yield
    finally:
        end_request()


Handler = Callable[[Any, Any], Any]


def invocation(handler: Handler) -> Handler:
    """A Lambda function's handler (not the API's: its event carries the API key), with
    Powertools' `inject_lambda_context`: every line names the function, its ARN, the
    request id and the cold start; the invocation's metrics leave at its end."""

    @functools.wraps(handler)
    def run(event: Any, context: Any) -> Any:
        json_logger, _ = setup()  # Powertools is imported on the first call, not at import
        injected = json_logger.inject_lambda_context(handler, log_event=False)
        with request(getattr(context, "aws_request_id", None), _function_name(context)):
            return injected(event, context)

    return run


def _function_name(context: Any) -> str | None:
    name = getattr(context, "function_name", None)
    return str(name) if name else None


def flush_every(seconds: float) -> None:
    """Let metrics wait up to `seconds` before they are written (long-running servers)."""
    global _flush_seconds
    _flush_seconds = seconds


def serve_as(front: str) -> None:
    """Name the front this process answers for (FRONT_ECS in the proxy's workers)."""
    global _front
    _front = front


def end_request() -> None:
    """Write the pending metrics if their time has come (always, by default)."""
    if time.monotonic() - _flushed_at >= _flush_seconds:
        flush()


def flush() -> None:
    """Write every pending metric as one EMF document now (also at a server's exit)."""
    global _flushed_at, _pending_cold_start
    with _lock:
        counts, values = dict(_pending_counts), dict(_pending_values)
        dimensioned, cold_start = dict(_pending_dimensioned), _pending_cold_start
        _pending_counts.clear()
        _pending_values.clear()
        _pending_dimensioned.clear()
        _pending_cold_start = None
        _flushed_at = time.monotonic()
    if cold_start is not None:
        dimensioned[(COLD_START, ((FUNCTION_DIMENSION, cold_start),))] = 1
    _flush_dimensioned(dimensioned)
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


def _flush_dimensioned(
    counts: Mapping[tuple[str, tuple[tuple[str, str], ...]], int],
) -> None:
    """Metrics with dimensions of their own: one EMF document each (Powertools'
    `single_metric`), since a document's metrics share its dimensions."""
    if not counts:
        return
    stage = _stage()
    for (name, dimensions), total in counts.items():
        _write_one(name, "Count", total, stage, dimensions)


def _write_one(
    name: str,
    unit: Literal["Count", "Seconds", "NoUnit"],
    value: float,
    stage: str,
    dimensions: Iterable[tuple[str, str]] = (),
) -> None:
    """One metric as its own EMF document, now: the service's and stage's dimensions and
    any of its own (a document's metrics share its dimensions)."""
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    with single_metric(
        name=name,
        unit=MetricUnit[unit],
        value=value,
        namespace=METRICS_NAMESPACE,
        default_dimensions={SERVICE_DIMENSION: APP_NAME, STAGE_DIMENSION: stage},
    ) as metric:
        for dimension, dimension_value in dimensions:
            metric.add_dimension(name=dimension, value=dimension_value)


def count(event: str, value: int = 1) -> None:
    """Count an operational event: an EMF metric."""
    with _lock:
        _pending_counts[event] += value


def count_error(kind: str) -> None:
    """Count an error answer of this kind: the one `errors` metric, `error` its dimension."""
    with _lock:
        _pending_dimensioned[(ERRORS, ((ERROR_DIMENSION, kind),))] += 1


def count_answer(status: int) -> None:
    """Count an answer by this process's front and its status class (`status_class`)."""
    dimensions = ((FRONT_DIMENSION, _front), (STATUS_CLASS_DIMENSION, status_class(status)))
    with _lock:
        _pending_dimensioned[(ANSWERS, dimensions)] += 1


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


def rollout_age(seconds: float) -> None:
    """The running rollout's age, written now (the deploy watcher's alarm reads it)."""
    _write_one(ROLLOUT_AGE, "Seconds", seconds, _stage())


def drift_metrics(stage: str, psi_by_feature: Mapping[str, float], drifted_features: int) -> None:
    """A drift report's figures as EMF: each feature's PSI under its own `feature`
    dimension (one document each: EMF gives every metric of a document the same
    dimensions), and the count of drifted features, which the drift alarm watches."""
    for feature, value in psi_by_feature.items():
        _write_one(FEATURE_PSI_METRIC, "NoUnit", value, stage, [(FEATURE_DIMENSION, feature)])
    _write_one(DRIFTED_FEATURES_METRIC, "Count", drifted_features, stage)
