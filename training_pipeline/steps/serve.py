"""Serving step: the SageMaker endpoint's handler functions.

`model_fn(model_dir)`, `input_fn(body, content_type)`, `predict_fn(data, model)` and
`output_fn(prediction, accept)` follow the handler contract of SageMaker's framework
serving containers; `training_pipeline.model_server` calls the same functions in the
project's own image. A body is one record (a JSON object of the model's snake_case
columns) or a JSON list of them. The answer, for one record or many:

    {"model_version": "v0003",
     "predictions": [{"value": 10234.5,
                      "range": {"low": 8900.1, "high": 11980.0, "level": 0.8}},
                     {"value": null, "error": {"kind": "unknown_category",
                      "message": "...", "column": "sector", "value": "Marte",
                      "known": ["la reina", ...]}}]}

Each prediction is an object so fields can join `value` without breaking readers. A
body that is not such JSON raises `ServeInputError` (a 4xx).

A `text/csv` body is Batch Transform's: lines of the model's columns, answered with one
CSV line each (training_pipeline/steps/batch_csv.py).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contract.environment import MODEL_SERVER_MAX_RECORDS, MODEL_VERSION
from training_pipeline.data import fingerprint
from training_pipeline.errors import UnknownCategoryError
from training_pipeline.model import MODEL_FILENAME, PriceModel, load_model
from training_pipeline.schema import CATEGORICAL_FEATURES, FEATURES, NUMERIC_FEATURES
from training_pipeline.steps import batch_csv

# Else the version is in a file beside the model (contract.environment.MODEL_VERSION
# is set on the SageMaker Model by the deploy).
VERSION_FILENAME = "model-version.txt"
JSON = "application/json"
MAX_RECORDS = MODEL_SERVER_MAX_RECORDS


class ServeInputError(ValueError):
    """The request cannot be scored as sent; `status` is the HTTP status to answer."""

    status = 400


class UnsupportedMediaError(ServeInputError):
    status = 415


class NotAcceptableError(ServeInputError):
    status = 406


@dataclass(frozen=True)
class LoadedModel:
    model: PriceModel
    version: str


def model_version(model_dir: Path, env: dict[str, str] | None = None) -> str:
    given = MODEL_VERSION.read(os.environ if env is None else env)
    if given:
        return given
    version_file = model_dir / VERSION_FILENAME
    if version_file.is_file():
        return version_file.read_text().strip()
    return f"sha256-{fingerprint(model_dir / MODEL_FILENAME)[:12]}"


def model_fn(model_dir: str) -> LoadedModel:
    """The training step's directory (model.joblib, params.json) or its model.tar.gz."""
    directory = Path(model_dir)
    model = load_model(directory)
    return LoadedModel(model, model_version(directory))


def _finite_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        return False


def _record(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ServeInputError(f"{where}: expected a JSON object of {', '.join(FEATURES)}")
    missing = [name for name in FEATURES if name not in raw]
    extra = sorted(set(raw) - set(FEATURES))
    if missing or extra:
        problem = f"missing {', '.join(missing)}" if missing else f"unexpected {', '.join(extra)}"
        raise ServeInputError(f"{where}: {problem}")
    for name in CATEGORICAL_FEATURES:
        if not isinstance(raw[name], str) or not raw[name].strip():
            raise ServeInputError(f"{where}: field '{name}' must be a non-empty string")
    for name in NUMERIC_FEATURES:
        if not _finite_number(raw[name]):
            raise ServeInputError(f"{where}: field '{name}' must be a finite number")
    return {name: raw[name] for name in FEATURES}


def _media(value: str) -> str:
    return value.split(";")[0].strip().lower()


def input_fn(body: bytes | str, content_type: str) -> list[dict[str, Any]] | batch_csv.CsvLines:
    if _media(content_type) == batch_csv.CSV:
        try:
            return batch_csv.read_lines(body)
        except ValueError as exc:
            raise ServeInputError(f"body is not UTF-8 text: {exc}") from None
    if _media(content_type) != JSON:
        raise UnsupportedMediaError(
            f"content type must be {JSON} or {batch_csv.CSV}, got {content_type!r}"
        )
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ServeInputError(f"body is not JSON: {exc}") from None
    records = data if isinstance(data, list) else [data]
    if not records or len(records) > MAX_RECORDS:
        raise ServeInputError(f"send between 1 and {MAX_RECORDS} records, got {len(records)}")
    return [_record(raw, f"record {i}") for i, raw in enumerate(records)]


def _unknown(exc: UnknownCategoryError) -> dict[str, Any]:
    return {
        "kind": "unknown_category",
        "message": str(exc),
        "column": exc.column,
        "value": exc.value,
        "known": exc.known,
    }


def _priced(value: float, low: float, high: float, level: float) -> dict[str, Any]:
    return {
        "value": float(value),
        "range": {"low": float(low), "high": float(high), "level": level},
    }


def _one(model: PriceModel, record: dict[str, Any]) -> dict[str, Any]:
    try:
        estimate = model.estimate_record(record)
    except UnknownCategoryError as exc:
        return {"value": None, "error": _unknown(exc)}
    return _priced(estimate.value, estimate.low, estimate.high, estimate.level)


def predict_fn(
    data: list[dict[str, Any]] | batch_csv.CsvLines, model: LoadedModel
) -> dict[str, Any] | batch_csv.CsvAnswer:
    if isinstance(data, batch_csv.CsvLines):
        return batch_csv.score(data, model.model)
    if len(data) == 1:  # the single-row fast path (same values as the batch path)
        return {"model_version": model.version, "predictions": [_one(model.model, data[0])]}
    import pandas as pd

    frame = pd.DataFrame(data, columns=list(FEATURES))
    values, lows, highs, problems = model.model.estimate_frame(frame)
    level = model.model.price_range.level
    predictions = []
    for record, value, low, high, problem in zip(data, values, lows, highs, problems, strict=True):
        # input_fn checked every number, so a problem is an unknown category: the
        # single-row path names it with the known values.
        predictions.append(
            _priced(value, low, high, level) if problem is None else _one(model.model, record)
        )
    return {"model_version": model.version, "predictions": predictions}


def media_type(prediction: dict[str, Any] | batch_csv.CsvAnswer) -> str:
    """What `output_fn` answers a prediction in: CSV lines for CSV lines, else JSON."""
    return batch_csv.CSV if isinstance(prediction, batch_csv.CsvAnswer) else JSON


def output_fn(prediction: dict[str, Any] | batch_csv.CsvAnswer, accept: str | None) -> bytes:
    media = media_type(prediction)
    wanted = {_media(part) for part in (accept or "*/*").split(",")}
    if not {media, "*/*", f"{media.split('/')[0]}/*", ""} & wanted:
        raise NotAcceptableError(f"can only answer {media} here, not {accept!r}")
    if isinstance(prediction, batch_csv.CsvAnswer):
        return batch_csv.render(prediction)
    return json.dumps(prediction, allow_nan=False).encode()
