"""The API's OpenAPI 3.1 document, generated from the contracts and the routes.

`make generate` rewrites the committed `chalice_app/openapi.json` from `render`; a test
fails when code and document drift. The app serves the
committed file as it is (GET /openapi.json), so nothing here runs in a request.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalice_app.contracts import API_KEY_HEADER, PredictionRequest, TrainingRequest
from chalice_app.responses import (
    BatchAnswer,
    ErrorAnswer,
    LiveAnswer,
    PingAnswer,
    PredictionAnswer,
    TrainingFailure,
    TrainingStarted,
    TrainingStatus,
)
from chalice_app.routing import OPENAPI_DOCUMENT
from contract.environment import MAX_BATCH_BODY_BYTES, MAX_BATCH_ROWS
from contract.resources import APP_NAME
from contract.vocabulary import RUN_ID

DOCUMENT_PATH = OPENAPI_DOCUMENT
_REF = "#/components/schemas/{model}"
EXAMPLE_EXECUTION_ID = "run-20260101T000000-0a1b2c3d"

_WHY = {
    400: "The body is not JSON (malformed, not UTF-8, a number too long to read).",
    403: "The API-key header is missing or not an accepted key.",
    404: "No such execution.",
    409: "As many training runs as allowed are in progress; `running` names them.",
    413: "The body is larger than the limit (64 KiB by default).",
    422: "Well-formed JSON with missing, extra or invalid fields, each named in `fields`.",
    503: "The service cannot answer now (no loadable model, key store unreadable, "
    "misconfigured); `request_id` finds the details in the log.",
}
_KEYED = (400, 403, 413, 422, 503)


@dataclass(frozen=True)
class Operation:
    path: str
    method: str
    summary: str
    answer: type[BaseModel] | None  # None: any JSON object
    errors: tuple[int, ...] = ()
    error_model: type[BaseModel] = ErrorAnswer
    body: type[BaseModel] | None = None
    body_required: bool = True
    keyed: bool = True
    batch: bool = False  # the body is a list of `body`, each row answered on its own


# The batch route's own reasons where they differ from the single route's.
_WHY_BATCH = {
    413: f"The body is larger than the limit ({MAX_BATCH_BODY_BYTES.default // 1024} KiB by "
    f"default, {MAX_BATCH_BODY_BYTES.name}).",
    422: f"The body is not a JSON list, or has more rows than allowed "
    f"({MAX_BATCH_ROWS.default:,} by default, {MAX_BATCH_ROWS.name}). A bad row is no 422: "
    "it is answered in its place.",
}
_TRAINING = "Start a training run on the given data, or the backend's defaults."
OPERATIONS = (
    Operation("/live", "get", "Liveness: the process serves (no backend is touched).",
              LiveAnswer, keyed=False),
    Operation("/ping", "get", "Readiness: the deployed model's version, or 503 and why.",
              PingAnswer, (503,), keyed=False),
    Operation("/get_prediction", "post", "Price one property.", PredictionAnswer, _KEYED,
              body=PredictionRequest),
    Operation("/get_predictions", "post", "Price many properties: each row is answered in "
              "its place, a price or the error /get_prediction would give it.", BatchAnswer,
              _KEYED, body=PredictionRequest, batch=True),
    Operation("/start_training", "post", _TRAINING, TrainingStarted, (*_KEYED, 409),
              TrainingFailure, TrainingRequest, body_required=False),
    Operation("/start_training", "get", _TRAINING + " (defaults only)", TrainingStarted,
              (*_KEYED, 409), TrainingFailure),
    Operation("/training/{execution_id}", "get", "A training run's status.", TrainingStatus,
              (403, 404, 503)),
    Operation("/openapi.json", "get", "This document.", None, keyed=False),
)  # fmt: skip


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _ref(model: type[BaseModel]) -> dict[str, Any]:
    return {"$ref": _REF.format(model=model.__name__)}


def _operation(op: Operation) -> dict[str, Any]:
    answer = _ref(op.answer) if op.answer else {"type": "object"}
    spec: dict[str, Any] = {
        "operationId": re.sub(r"[^A-Za-z0-9]+", "_", f"{op.method} {op.path}").strip("_"),
        "summary": op.summary,
        "security": [{"ApiKey": []}] if op.keyed else [],
        "responses": {"200": {"description": "OK", **_json(answer)}},
    }
    error = _json(_ref(op.error_model))
    why = {**_WHY, **_WHY_BATCH} if op.batch else _WHY
    for status in sorted(op.errors):
        spec["responses"][str(status)] = {"description": why[status], **error}
    if op.body is not None:
        body = _rows(op.body) if op.batch else _json(_ref(op.body))
        spec["requestBody"] = {"required": op.body_required, **body}
    if "{execution_id}" in op.path:
        spec["parameters"] = [
            {
                "name": "execution_id",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "pattern": RUN_ID.pattern},
                "example": EXAMPLE_EXECUTION_ID,
            }
        ]
    return spec


def _rows(row: type[BaseModel]) -> dict[str, Any]:
    """A list of rows; a row may be anything, since a bad one is answered in its place."""
    schema = {
        "type": "array",
        "maxItems": MAX_BATCH_ROWS.default,
        "description": f"Properties as /get_prediction takes them ({row.__name__}), at most "
        f"{MAX_BATCH_ROWS.name} ({MAX_BATCH_ROWS.default:,} by default).",
        "items": {"anyOf": [_ref(row), {}]},
    }
    # The row's own example, and the same with a sector no model knows: one answer each.
    extra = row.model_config.get("json_schema_extra")
    found = extra.get("examples") if isinstance(extra, dict) else None
    first = found[0] if isinstance(found, list) and found else None
    example = [first, {**first, "Sector": "Marte"}] if isinstance(first, dict) else []
    return {"content": {"application/json": {"schema": schema, "example": example}}}


_ERROR = _json({"$ref": _REF.format(model=ErrorAnswer.__name__)})
# Answers no single operation owns: the same {"error"} shape, described once.
_ANY_ROUTE = {
    "NotFound": {"description": "No route for this path.", **_ERROR},
    "MethodNotAllowed": {
        "description": "The path does not take this method; Allow lists those it takes.",
        "headers": {"Allow": {"schema": {"type": "string"}}},
        **_ERROR,
    },
    "InternalError": {"description": "A bug: no request should cause it.", **_ERROR},
}


def build_document() -> dict[str, Any]:
    models: list[type[BaseModel]] = [PredictionRequest, TrainingRequest, LiveAnswer, PingAnswer]
    models += [PredictionAnswer, BatchAnswer, TrainingStarted, TrainingStatus, ErrorAnswer]
    models += [TrainingFailure]
    mode: Literal["validation"] = "validation"
    _, schemas = models_json_schema([(model, mode) for model in models], ref_template=_REF)
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": APP_NAME,
            "version": "1",
            "description": "Prices of houses and flats in eastern Santiago, in UF. Every "
            'error is {"error": ...} JSON: also 404 for an unknown path, 405 (with Allow) '
            "for a method a path does not take, and 500, which no request should cause"
            " (all three in components.responses).",
        },
        "paths": paths,
        "components": {
            "schemas": schemas["$defs"],
            "responses": _ANY_ROUTE,
            "securitySchemes": {
                "ApiKey": {"type": "apiKey", "in": "header", "name": API_KEY_HEADER}
            },
        },
    }


def render() -> str:
    return json.dumps(build_document(), indent=2, sort_keys=True) + "\n"
