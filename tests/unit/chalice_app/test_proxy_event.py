"""The API function names what is wrong with a hand-written event before Chalice reads it;
every event API Gateway or the ECS proxy sends passes untouched."""

from __future__ import annotations

import copy
import io
from typing import Any

import pytest

from chalice_app.app import app
from chalice_app.proxy_event import problem
from chalice_app.routing import RouteTable
from ecs_proxy.lambda_event import build_event
from tests import events

GOOD = [name for name in events.names("api_handler") if "/malformed/" not in name]
# Each hand-written mistake, and the words that must tell its writer what to fix.
MALFORMED = {
    "api_handler/malformed/body_object": ["body must be a string", "not a JSON object"],
    "api_handler/malformed/not_base64": ["isBase64Encoded is true", "not base64"],
    "api_handler/malformed/no_path_parameters": ["pathParameters", "execution_id"],
    "api_handler/malformed/bare": ["requestContext.resourcePath"],
}


def _changed(name: str, **change: Any) -> dict[str, Any]:
    event: dict[str, Any] = events.load(name)
    event.update(change)
    return event


@pytest.mark.parametrize("name", GOOD)
def test_api_gateways_events_pass(name: str) -> None:
    assert problem(events.load(name), app.routes) is None


def test_every_malformed_event_is_checked() -> None:
    assert set(MALFORMED) == set(events.names("api_handler/malformed"))


@pytest.mark.parametrize(("name", "words"), sorted(MALFORMED.items()))
def test_each_mistake_is_named(name: str, words: list[str]) -> None:
    found = problem(events.load(name), app.routes)
    assert found is not None and all(word in found for word in words), found


@pytest.mark.parametrize(
    ("event", "words"),
    [
        (["not", "an", "object"], ["JSON object", "not a JSON array"]),
        (events.load("test_invoker/ping"), ["test invoker's event"]),
        (_changed("api_handler/ping", headers={"API-key": 7}), ["headers"]),
        (_changed("api_handler/ping", stageVariables=[]), ["stageVariables", "JSON array"]),
        (_changed("api_handler/ping", isBase64Encoded="true"), ["isBase64Encoded", "true or"]),
        (_changed("api_handler/get_prediction", body=3), ["body must be a string", "number"]),
        (
            _changed("api_handler/training_status", pathParameters={"execution_id": ""}),
            ["pathParameters", "execution_id"],
        ),
    ],
)
def test_other_mistakes_are_named(event: Any, words: list[str]) -> None:
    found = problem(event, app.routes)
    assert found is not None and all(word in found for word in words), found


def test_a_missing_key_is_named_with_every_other_missing_one() -> None:
    event = events.load("api_handler/ping")
    del event["stageVariables"], event["multiValueQueryStringParameters"]
    found = problem(event, app.routes)
    assert found is not None
    assert "stageVariables" in found and "multiValueQueryStringParameters" in found


def test_an_unknown_route_lists_the_apis_routes() -> None:
    event = events.load("api_handler/ping")
    event["requestContext"]["resourcePath"] = "/predict"
    found = problem(event, app.routes)
    assert found is not None and "/get_prediction" in found and "/ping" in found


def test_a_base64_body_that_is_base64_passes() -> None:
    event = events.load("api_handler/get_prediction_base64")
    assert event["isBase64Encoded"] is True
    assert problem(event, app.routes) is None


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/ping", b""),
        ("POST", "/get_prediction", b'{"Type": "casa"}'),
        ("POST", "/get_prediction", b"\xff\xfe not UTF-8"),  # goes base64
        ("GET", "/training/run-7", b""),
        ("GET", "/training/%C3%B1", b""),
    ],
)
def test_the_ecs_proxys_events_pass(method: str, path: str, body: bytes) -> None:
    routes = RouteTable({template: entries.keys() for template, entries in app.routes.items()})
    route = routes.match(path)
    assert route is not None
    environ = {
        "REQUEST_METHOD": method,
        "QUERY_STRING": "a=1",
        "CONTENT_TYPE": "application/json",
        "HTTP_API_KEY": "k",
        "wsgi.input": io.BytesIO(body),
    }
    event = build_event(environ, path, route, body)
    assert problem(copy.deepcopy(event), app.routes) is None


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("GET", "/ping", None), ("POST", "/get_prediction", b'{"Type": "casa"}')],
)
def test_chalices_local_gateways_events_pass(method: str, path: str, body: bytes | None) -> None:
    from chalice.local import LambdaEventConverter, RouteMatcher

    converter = LambdaEventConverter(RouteMatcher(list(app.routes)))
    event = converter.create_lambda_event(method, path, {"content-type": "application/json"}, body)
    assert problem(event, app.routes) is None
