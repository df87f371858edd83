"""The model server's answer, read into the ports' values: one reader for both backends.

The answer's shape is the serving functions' (training_pipeline/steps/serve.py):
`{"model_version": ..., "predictions": [{"value", "range"} | {"value": null, "error"}]}`.
The AWS predictor gets it from InvokeEndpoint, the local one from the same functions in
process, so a batch means the same on both. Anything else is ModelUnavailableError:
the model serves something this API does not understand, which no client can fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalice_app.errors import ModelUnavailableError, UnknownCategoryError
from chalice_app.ports import BatchPrediction, Prediction, PriceRange

UNKNOWN_CATEGORY = "unknown_category"


def read_answer(body: Any, source: str, expected: int) -> BatchPrediction:
    """The `expected` results of `body`, in order; `source` names the model in errors."""
    try:
        version, rows = str(body["model_version"]), body["predictions"]
    except (KeyError, TypeError):
        raise ModelUnavailableError(f"unexpected answer from {source}") from None
    if not isinstance(rows, list) or len(rows) != expected:
        raise ModelUnavailableError(f"unexpected answer from {source}")
    return BatchPrediction(version, tuple(_result(row, version, source) for row in rows))


def _result(row: Any, version: str, source: str) -> Prediction | UnknownCategoryError:
    unexpected = ModelUnavailableError(f"unexpected answer from {source}")
    if not isinstance(row, Mapping) or "value" not in row:
        raise unexpected
    if row["value"] is None:
        error = row.get("error")
        if not isinstance(error, Mapping) or error.get("kind") != UNKNOWN_CATEGORY:
            raise ModelUnavailableError(f"the model could not score the record: {error}")
        try:
            return UnknownCategoryError(error["column"], error["value"], error["known"])
        except KeyError:
            raise unexpected from None
    try:
        value = float(row["value"])
    except (TypeError, ValueError):
        raise unexpected from None
    try:
        bounds = row["range"]
        low, high, level = (float(bounds[name]) for name in ("low", "high", "level"))
    except (KeyError, TypeError, ValueError):
        # Every model this code deploys gives one; a model without it serves something
        # else, and a price without its range is not our answer.
        raise ModelUnavailableError(f"{source} answered without a price range") from None
    return Prediction(value=value, model_version=version, range=PriceRange(low, high, level))
