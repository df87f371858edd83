"""What each route does, as plain functions over the backends (no HTTP, no Chalice).

Requests arrive parsed and validated, and callers have checked the key: transport
(bytes, sizes, headers, error shapes) stays at the edges.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalice_app import observability
from chalice_app.contracts import PredictionRequest, TrainingRequest
from chalice_app.errors import (
    BatchLogError,
    ConflictError,
    ModelUnavailableError,
    NotFoundError,
    PredictionLogError,
    ServiceUnavailableError,
    TrainingBusyError,
    TrainingInputError,
    TrainingUnavailableError,
    UnknownCategoryError,
    UnprocessableError,
)
from chalice_app.ports import Prediction, PredictionEntry
from chalice_app.prediction_ids import new_prediction_id
from chalice_app.responses import (
    BatchAnswer,
    PingAnswer,
    PredictionAnswer,
    PricedRow,
    PriceRangeAnswer,
    RowError,
    TrainingStarted,
    TrainingStatus,
)
from contract import metrics

if TYPE_CHECKING:
    from chalice_app.wiring import Backends

# Request field for each model column, so a domain error can name what the client sent.
_FIELD_FOR_COLUMN = {"type": "Type", "sector": "Sector"}
_FIELD_FOR_INPUT = {"train": "TrainingDataS3Path", "validation": "ValidationDataS3Path"}


PREDICTION_LOG = "prediction_log"


def ping(backends: Backends) -> dict[str, Any]:
    try:
        version = backends.predictor.model_version()
    except ModelUnavailableError as exc:
        raise ServiceUnavailableError(f"no model available: {exc}") from None
    problems = backends.health.problems()
    if problems:
        # Still 200: predictions are answered; a 503 would make a load balancer drop a
        # task that works. The body says what is degraded and why.
        answer = PingAnswer(status="degraded", model_version=version, degraded=problems)
    else:
        answer = PingAnswer(status="ok", model_version=version)
    return answer.model_dump(exclude_none=True)


def _unknown_category(exc: UnknownCategoryError) -> UnprocessableError:
    field = _FIELD_FOR_COLUMN.get(exc.column, exc.column)
    return UnprocessableError(
        f"unknown {field} {exc.value!r}; known: {', '.join(exc.known)}",
        fields={field: "unknown category"},
        known=exc.known,
    )


def _entry(
    record: dict[str, Any], prediction: Prediction, started: float, client: str | None
) -> PredictionEntry:
    return PredictionEntry(
        prediction_id=new_prediction_id(),
        created_at=datetime.now(UTC).isoformat(timespec="microseconds"),
        inputs=record,
        value=prediction.value,
        model_version=prediction.model_version,
        latency_ms=(time.perf_counter() - started) * 1000.0,
        range=prediction.range,
        client=client,
    )


def _log(backends: Backends, entries: Sequence[PredictionEntry]) -> None:
    """Log answered predictions; what the log cannot take leaves, whole, as recoverable
    log lines (the price is computed and the client is waiting: answer anyway)."""
    try:
        if len(entries) == 1:
            backends.prediction_log.record(entries[0])
        else:
            backends.prediction_log.record_many(entries)
    except PredictionLogError as exc:
        backends.health.degrade(PREDICTION_LOG, f"prediction log write failed: {exc}")
        left_out = exc.unlogged_ids if isinstance(exc, BatchLogError) else None
        for entry in entries:
            if left_out is None or entry.prediction_id in left_out:
                observability.unlogged_prediction(entry, str(exc))
    else:
        backends.health.recover(PREDICTION_LOG)


def _range(prediction: Prediction) -> PriceRangeAnswer:
    bounds = prediction.range
    return PriceRangeAnswer(low=bounds.low, high=bounds.high, level=bounds.level)


def predict(
    backends: Backends, request: PredictionRequest, *, client: str | None = None
) -> dict[str, Any]:
    started = time.perf_counter()
    record = request.to_record()
    try:
        prediction = backends.predictor.predict(record)
    except UnknownCategoryError as exc:
        raise _unknown_category(exc) from None
    except ModelUnavailableError as exc:
        # A missing or broken model is the service's state, not the client's mistake.
        raise ServiceUnavailableError(f"no model available: {exc}") from None
    entry = _entry(record, prediction, started, client)
    _log(backends, [entry])
    observability.count(metrics.PREDICTIONS)
    observability.measure_ms(metrics.PREDICTION_LATENCY, entry.latency_ms)
    return PredictionAnswer(
        value=prediction.value,
        range=_range(prediction),
        model_version=prediction.model_version,
        prediction_id=entry.prediction_id,
    ).model_dump()


def predict_batch(
    backends: Backends,
    rows: Sequence[PredictionRequest | UnprocessableError],
    *,
    client: str | None = None,
) -> dict[str, Any]:
    """Price every valid row with one model call; each other row gets its own error.

    Every priced row is logged (latency_ms: the whole batch's, what its client waited).
    """
    started = time.perf_counter()
    records = [row.to_record() for row in rows if isinstance(row, PredictionRequest)]
    version: str | None = None
    results: list[Prediction | UnknownCategoryError] = []
    if records:
        try:
            batch = backends.predictor.predict_many(records)
        except ModelUnavailableError as exc:
            raise ServiceUnavailableError(f"no model available: {exc}") from None
        version, results = batch.model_version, list(batch.results)
    priced = iter(zip(records, results, strict=True))
    answers: list[PricedRow | RowError] = []
    entries: list[PredictionEntry] = []
    for row in rows:
        problem = row if isinstance(row, UnprocessableError) else None
        if problem is None:
            record, result = next(priced)
            if isinstance(result, UnknownCategoryError):
                problem = _unknown_category(result)
            else:
                entries.append(_entry(record, result, started, client))
                answers.append(
                    PricedRow(
                        value=result.value,
                        range=_range(result),
                        prediction_id=entries[-1].prediction_id,
                    )
                )
                continue
        answers.append(RowError.model_validate(problem.body()))
    if entries:
        _log(backends, entries)
    observability.count(metrics.PREDICTIONS, len(entries))
    observability.count("batch_requests")
    observability.measure_ms("batch_latency", (time.perf_counter() - started) * 1000.0)
    return BatchAnswer(model_version=version, predictions=answers).model_dump(exclude_none=True)


def start_training(
    backends: Backends,
    request: TrainingRequest,
    idempotency_key: str | None = None,
    *,
    client: str | None = None,
) -> dict[str, Any]:
    try:
        execution = backends.launcher.start(
            request.TrainingDataS3Path,
            request.ValidationDataS3Path,
            idempotency_key=idempotency_key,
            client=client,
        )
    except TrainingInputError as exc:
        field = _FIELD_FOR_INPUT.get(exc.field, exc.field)
        raise UnprocessableError(f"invalid fields: {field}", fields={field: exc.problem}) from None
    except TrainingBusyError as exc:
        raise ConflictError(
            f"a training run is in progress ({', '.join(exc.running) or 'none may start'});"
            f" at most {exc.limit} at once: try again when it ends",
            running=exc.running,
        ) from None
    except TrainingUnavailableError as exc:
        raise ServiceUnavailableError(str(exc)) from None
    return TrainingStarted(
        result="SUCCESS", execution_arn=execution.execution_arn, execution_id=execution.execution_id
    ).model_dump()


def training_status(backends: Backends, execution_id: str) -> dict[str, Any]:
    try:
        status = backends.runs.get(execution_id)
    except TrainingUnavailableError as exc:
        raise ServiceUnavailableError(str(exc)) from None
    if status is None:
        raise NotFoundError(f"unknown execution_id {execution_id!r}")
    answer = TrainingStatus.model_validate({**status, "execution_id": execution_id})
    return answer.model_dump(exclude_unset=True)  # optional fields only where a backend has them
