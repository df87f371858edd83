"""What each route does, as plain functions over the ports (no Chalice here)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from chalice_app import contracts
from chalice_app.errors import (
    ApiError,
    ModelUnavailableError,
    NotFoundError,
    PayloadTooLargeError,
    ServiceUnavailableError,
    TrainingInputError,
    TrainingUnavailableError,
    UnknownCategoryError,
    UnprocessableError,
)
from chalice_app.ports import PredictionEntry, Services

# Request field for each model column, so a domain error can name what the client sent.
_FIELD_FOR_COLUMN = {"type": "Type", "sector": "Sector"}
_FIELD_FOR_INPUT = {"train": "TrainingDataS3Path", "validation": "ValidationDataS3Path"}


def _check_size(services: Services, raw: bytes | None) -> None:
    if raw is not None and len(raw) > services.max_body_bytes:
        raise PayloadTooLargeError(f"body larger than {services.max_body_bytes} bytes")


def ping(services: Services) -> dict[str, Any]:
    try:
        version = services.predictor.model_version()
    except ModelUnavailableError as exc:
        raise ServiceUnavailableError(f"no model available: {exc}") from None
    return {"status": "ok", "model_version": version}


def predict(services: Services, api_key: str | None, raw: bytes | None) -> dict[str, Any]:
    started = time.perf_counter()
    services.keys.check(api_key)
    _check_size(services, raw)
    request = contracts.validate(contracts.PredictionRequest, contracts.parse_json_object(raw))
    record = request.to_record()
    try:
        prediction = services.predictor.predict(record)
    except UnknownCategoryError as exc:
        field = _FIELD_FOR_COLUMN.get(exc.column, exc.column)
        raise UnprocessableError(
            f"unknown {field} {exc.value!r}; known: {', '.join(exc.known)}",
            fields={field: "unknown category"},
            known=exc.known,
        ) from None
    except ModelUnavailableError as exc:
        # A missing or broken model is the service's state, not the client's mistake.
        raise ServiceUnavailableError(f"no model available: {exc}") from None
    prediction_id = uuid.uuid4().hex
    services.prediction_log.record(
        PredictionEntry(
            prediction_id=prediction_id,
            created_at=datetime.now(UTC).isoformat(timespec="microseconds"),
            inputs=record,
            value=prediction.value,
            model_version=prediction.model_version,
            latency_ms=(time.perf_counter() - started) * 1000.0,
        )
    )
    return {
        "value": prediction.value,
        "model_version": prediction.model_version,
        "prediction_id": prediction_id,
    }


def start_training(services: Services, api_key: str | None, raw: bytes | None) -> dict[str, Any]:
    try:
        services.keys.check(api_key)
        _check_size(services, raw)
        data = contracts.parse_json_object(raw, empty_ok=True)
        request = contracts.validate(contracts.TrainingRequest, data)
        train = request.TrainingDataS3Path or services.default_train_path
        validation = request.ValidationDataS3Path or services.default_validation_path
        try:
            execution = services.launcher.start(train, validation)
        except TrainingInputError as exc:
            field = _FIELD_FOR_INPUT.get(exc.field, exc.field)
            raise UnprocessableError(
                f"invalid fields: {field}", fields={field: exc.problem}
            ) from None
        except TrainingUnavailableError as exc:
            raise ServiceUnavailableError(str(exc)) from None
    except ApiError as exc:
        # The old contract's failure shape: every refusal says FAILURE beside the error.
        exc.extra = {"result": "FAILURE", **exc.extra}
        raise
    return {
        "result": "SUCCESS",
        "execution_arn": execution.execution_arn,
        "execution_id": execution.execution_id,
    }


def training_status(
    services: Services, api_key: str | None, execution_id: str
) -> Mapping[str, Any]:
    services.keys.check(api_key)
    status = services.runs.get(execution_id)
    if status is None:
        raise NotFoundError(f"unknown execution_id {execution_id!r}")
    return {"execution_id": execution_id, **status}
