"""The Chalice app: thin routes over `services`, and the one edge that shapes errors."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from chalice.app import Chalice, Request, Response

from chalice_app import services
from chalice_app.constants import API_KEY_HEADER, APP_NAME
from chalice_app.errors import ApiError
from chalice_app.wiring import get_services

app = Chalice(app_name=APP_NAME, configure_logs=False)
log = logging.getLogger(__name__)

# Bodies are parsed from raw_body whatever the Content-Type (curl -d sends a form type),
# so Chalice must not answer 415 before the route sees the request (GETs included: a
# client's stray Content-Type is no reason to refuse a ping).
ANY_CONTENT = ["*/*"]


def _json(status: int, body: Mapping[str, Any]) -> Response:
    headers: dict[str, str | list[str]] = {"Content-Type": "application/json"}
    return Response(body=dict(body), status_code=status, headers=headers)


def _answer(call: Callable[[], Mapping[str, Any]]) -> Response:
    try:
        return _json(200, call())
    except ApiError as exc:
        return _json(exc.STATUS_CODE, exc.body())
    except Exception:
        log.exception("unhandled error")
        return _json(500, {"error": "internal error"})


@app.middleware("http")
def contract_errors(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """Chalice's own answers (405, 415, 500) become the contract's `{"error": ...}`."""
    response = get_response(event)
    body = response.body
    if isinstance(body, dict) and "Code" in body and "Message" in body and len(body) == 2:
        response.body = {"error": body["Message"]}
    return response


def _request() -> Request:
    request = app.current_request
    assert request is not None  # Chalice sets it before calling a route
    return request


def _body() -> bytes:
    raw = _request().raw_body
    return raw.encode() if isinstance(raw, str) else raw


def _key() -> str | None:
    return _request().headers.get(API_KEY_HEADER)


@app.route("/ping", methods=["GET"], content_types=ANY_CONTENT)
def ping() -> Response:
    return _answer(lambda: services.ping(get_services()))


@app.route("/get_prediction", methods=["POST"], content_types=ANY_CONTENT)
def get_prediction() -> Response:
    return _answer(lambda: services.predict(get_services(), _key(), _body()))


@app.route("/start_training", methods=["GET", "POST"], content_types=ANY_CONTENT)
def start_training() -> Response:
    return _answer(lambda: services.start_training(get_services(), _key(), _body()))


@app.route("/training/{execution_id}", methods=["GET"], content_types=ANY_CONTENT)
def training_status(execution_id: str) -> Response:
    return _answer(lambda: services.training_status(get_services(), _key(), execution_id))
