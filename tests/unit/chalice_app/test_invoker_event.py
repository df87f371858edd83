"""The test invoker reads the old system's event against the API's own routes: what it
would send, or why it sends nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalice_app.app import app
from chalice_app.invoker.event import (
    BAD_EVENT,
    METHOD_NOT_ALLOWED,
    UNKNOWN_ENDPOINT,
    InvokerError,
    parse_event,
)
from tests import events

ROUTES = {path: entries.keys() for path, entries in app.routes.items()}


def _event(**change: Any) -> dict[str, Any]:
    event: dict[str, Any] = events.with_api_key(events.load(events.PREDICTION_EVENT), "k-1")
    event.update(change)
    return event


def _refusal(event: Any) -> InvokerError:
    with pytest.raises(InvokerError) as caught:
        parse_event(event, ROUTES)
    return caught.value


def test_the_old_event_becomes_the_request_it_describes() -> None:
    call = parse_event(_event(), ROUTES)
    assert (call.method, call.target, call.route) == ("POST", "/get_prediction", "/get_prediction")
    assert call.headers == {"API-key": "k-1", "Content-Type": "application/json"}
    assert call.body is not None and json.loads(call.body) == events.prediction_request()


def test_a_templated_route_and_a_query_are_kept_as_given() -> None:
    call = parse_event(_event(endpoint="/training/abc123?verbose=1", method_type="get"), ROUTES)
    assert (call.method, call.target, call.route) == (
        "GET",
        "/training/abc123?verbose=1",
        "/training/{execution_id}",
    )


def test_a_string_payload_goes_as_it_is_and_an_object_gets_its_type() -> None:
    text = parse_event(_event(payload="not json", headers={}), ROUTES)
    assert text.body == b"not json" and text.headers == {}
    typed = parse_event(_event(headers={}), ROUTES)
    assert typed.headers == {"Content-Type": "application/json"}
    bare = parse_event(_event(payload=None), ROUTES)
    assert bare.body is None


def test_headers_the_invoker_sets_itself_are_dropped() -> None:
    headers = {"Content-Length": "999", "Host": "elsewhere", "API-key": "k-1"}
    call = parse_event(_event(headers=headers), ROUTES)
    assert call.headers == {"API-key": "k-1", "Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("event", "kind", "words"),
    [
        (_event(endpoint="/predict"), UNKNOWN_ENDPOINT, ["/predict", "/get_prediction"]),
        (_event(endpoint="/training/a/b"), UNKNOWN_ENDPOINT, ["/training/a/b"]),
        (_event(method_type="PUT"), METHOD_NOT_ALLOWED, ["takes POST", "not PUT"]),
        (_event(method_type="FETCH"), METHOD_NOT_ALLOWED, ["FETCH"]),
        (_event(method_type=""), BAD_EVENT, ["method_type"]),
        (_event(endpoint="get_prediction"), BAD_EVENT, ['starting with "/"']),
        (_event(endpoint="https://elsewhere/ping"), BAD_EVENT, ["endpoint"]),
        (_event(endpoint="/ping#top"), BAD_EVENT, ["'#'"]),
        (_event(endpoint="/ping x"), BAD_EVENT, ["spaces"]),
        (_event(endpoint="/training/ñ", method_type="GET"), BAD_EVENT, ["ASCII", "%C3%B1"]),
        (_event(headers={"API-key": 12}), BAD_EVENT, ["headers"]),
        (_event(headers={"X": "a\r\nInjected: 1"}), BAD_EVENT, ["line breaks"]),
        (_event(payload=float("nan")), BAD_EVENT, ["payload"]),
        ([_event()], BAD_EVENT, ["JSON object"]),
        ({"Records": []}, BAD_EVENT, ["endpoint"]),
    ],
)
def test_an_event_the_invoker_cannot_send_is_refused_with_its_reason(
    event: Any, kind: str, words: list[str]
) -> None:
    refused = _refusal(event)
    assert refused.kind == kind
    assert all(word in refused.message for word in words), refused.message
