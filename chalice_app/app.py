"""The Chalice app: the HTTP edge. Routes check the key, bound and parse the body, call
a service function and shape its answer; every error leaves through `_answer`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from typing import Any

from chalice.app import Request, Response

from chalice_app import contracts, observability, services
from chalice_app.analytics.functions import analytics
from chalice_app.callbacks.functions import pipeline
from chalice_app.contracts import API_KEY_HEADER, IDEMPOTENCY_KEY_HEADER, Contract
from chalice_app.errors import (
    ApiError,
    PayloadTooLargeError,
    UnprocessableError,
    error_body,
)
from chalice_app.invoker.functions import invoker
from chalice_app.proxy_event import CheckedChalice
from chalice_app.rotation.functions import rotation
from chalice_app.routing import OPENAPI_DOCUMENT
from chalice_app.wiring import Backends, get_backends
from contract.resources import APP_NAME, LIVENESS_PATH, READINESS_PATH

# A Chalice app that refuses a malformed proxy event with a 400 before reading it.
app = CheckedChalice(app_name=APP_NAME, configure_logs=False)
log = logging.getLogger(__name__)

# Bodies are parsed from raw_body whatever the Content-Type (curl -d sends a form type),
# so Chalice must not answer 415 before the route sees the request (GETs included: a
# client's stray Content-Type is no reason to refuse a ping).
ANY_CONTENT = ["*/*"]
# The old API's refusals of /start_training said FAILURE beside the error; kept.
TRAINING_FAILURE = {"result": "FAILURE"}


def _json(status: int, body: Mapping[str, Any]) -> Response:
    headers: dict[str, str | list[str]] = {"Content-Type": "application/json"}
    return Response(body=dict(body), status_code=status, headers=headers)


def _request_id(request: Request | None = None) -> str | None:
    """API Gateway's request id, else the Lambda invocation's (the ECS proxy sets both)."""
    request = request or app.current_request
    context = request.context if request is not None else {}
    found = context.get("requestId") if isinstance(context, dict) else None
    if not found:
        found = getattr(app.lambda_context, "aws_request_id", None)
    return str(found) if found else None


def _answer(
    handle: Callable[[], Mapping[str, Any]], on_error: Mapping[str, Any] | None = None
) -> Response:
    """Run a route's work; any failure becomes the contract's `{"error": ...}`."""
    extra = dict(on_error or {})
    try:
        return _json(200, handle())
    except ApiError as exc:
        observability.count_error(type(exc).__name__)
        if exc.STATUS_CODE >= 500:
            # Lets an operator find the log lines of a failure a client reports.
            extra["request_id"] = _request_id()
        return _json(exc.STATUS_CODE, {**exc.body(), **extra})
    except Exception:
        observability.count_error("unhandled")
        log.exception("unhandled error")
        return _json(500, error_body("internal error", **extra, request_id=_request_id()))


@app.middleware("http")
def observed(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """Every log line of a request carries its id; its answer is counted by status class
    (the 503 alarms read it); its metrics leave when it ends."""
    function = getattr(app.lambda_context, "function_name", None)
    with observability.request(_request_id(event), function):
        response = get_response(event)
        observability.count_answer(response.status_code)
        return response


@app.middleware("http")
def contract_errors(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """Chalice's own answers (405, 415, 500) become the contract's `{"error": ...}`."""
    response = get_response(event)
    body = response.body
    if isinstance(body, dict) and "Code" in body and "Message" in body and len(body) == 2:
        response.body = error_body(body["Message"])
    return response


def _request() -> Request:
    request = app.current_request
    assert request is not None  # Chalice sets it before calling a route
    return request


def _authorized() -> tuple[Backends, str]:
    """The backends and the client's name, once the request's API key is accepted
    (before any body is read)."""
    backends = get_backends()
    return backends, backends.keys.check(_request().headers.get(API_KEY_HEADER))


def _body(limit: int) -> bytes | None:
    raw = _request().raw_body
    body = raw.encode() if isinstance(raw, str) else raw
    if body is not None and len(body) > limit:
        raise PayloadTooLargeError(f"body larger than {limit} bytes")
    return body


def _parsed(backends: Backends, contract: type[Contract], *, empty_ok: bool = False) -> Contract:
    body = _body(backends.settings.max_body_bytes)
    return contracts.validate(contract, contracts.parse_json_object(body, empty_ok=empty_ok))


# Liveness and readiness, apart. /live says the process serves: it touches no backend
# and no configuration, so a load balancer's or ECS's health check on it never kills a
# task because the endpoint is not InService yet (every task of a fresh stage) or AWS is
# slow. /ping says the service can price (the model's version), or 503 with why.
LIVE = {"status": "alive"}


@app.route(LIVENESS_PATH, methods=["GET"], content_types=ANY_CONTENT)
def live() -> Response:
    return _json(200, LIVE)


def _parsed_rows(backends: Backends) -> list[contracts.PredictionRequest | UnprocessableError]:
    """A batch's rows, each valid or with its own 422; the whole body is refused only
    when it is not a list or is too long."""
    settings = backends.settings
    rows = contracts.parse_json_list(_body(settings.max_batch_body_bytes))
    if len(rows) > settings.max_batch_rows:
        raise UnprocessableError(
            f"too many rows: {len(rows)}; at most {settings.max_batch_rows} per request",
            fields={},
        )
    return contracts.validate_rows(contracts.PredictionRequest, rows)


@app.route(READINESS_PATH, methods=["GET"], content_types=ANY_CONTENT)
def ping() -> Response:
    return _answer(lambda: services.ping(get_backends()))


@app.route("/openapi.json", methods=["GET"], content_types=ANY_CONTENT)
def openapi_document() -> Response:
    # The committed file as it is: generating it would import pydantic's schema machinery.
    headers: dict[str, str | list[str]] = {"Content-Type": "application/json"}
    return Response(body=_openapi_text(), status_code=200, headers=headers)


@functools.cache
def _openapi_text() -> str:
    return OPENAPI_DOCUMENT.read_text(encoding="utf-8")


@app.route("/get_prediction", methods=["POST"], content_types=ANY_CONTENT)
def get_prediction() -> Response:
    def handle() -> Mapping[str, Any]:
        backends, client = _authorized()
        request = _parsed(backends, contracts.PredictionRequest)
        return services.predict(backends, request, client=client)

    return _answer(handle)


@app.route("/get_predictions", methods=["POST"], content_types=ANY_CONTENT)
def get_predictions() -> Response:
    def handle() -> Mapping[str, Any]:
        backends, client = _authorized()
        return services.predict_batch(backends, _parsed_rows(backends), client=client)

    return _answer(handle)


@app.route("/start_training", methods=["GET", "POST"], content_types=ANY_CONTENT)
def start_training() -> Response:
    def handle() -> Mapping[str, Any]:
        backends, client = _authorized()
        request = _parsed(backends, contracts.TrainingRequest, empty_ok=True)
        idempotency_key = _request().headers.get(IDEMPOTENCY_KEY_HEADER)
        return services.start_training(backends, request, idempotency_key, client=client)

    return _answer(handle, on_error=TRAINING_FAILURE)


@app.route("/training/{execution_id}", methods=["GET"], content_types=ANY_CONTENT)
def training_status(execution_id: str) -> Response:
    def handle() -> Mapping[str, Any]:
        return services.training_status(_authorized()[0], execution_id)

    return _answer(handle)


# The SageMaker pipeline's Lambda steps and the deploy watcher (chalice_app/callbacks).
app.register_blueprint(pipeline)
# The test invoker, which calls this API as a client would (chalice_app/invoker).
app.register_blueprint(invoker)
# The nightly export and drift jobs, and the drift metrics (chalice_app/analytics).
app.register_blueprint(analytics)
# Secrets Manager's rotation function for the API keys (chalice_app/rotation).
app.register_blueprint(rotation)
