"""The WSGI side of the proxy against a recording stand-in for the Lambda handler."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

from ecs_proxy.messages import build_environ
from ecs_proxy.wsgi import ProxyApp

EVENT_KEYS = {
    "resource",
    "path",
    "httpMethod",
    "headers",
    "multiValueHeaders",
    "queryStringParameters",
    "multiValueQueryStringParameters",
    "pathParameters",
    "stageVariables",
    "requestContext",
    "body",
    "isBase64Encoded",
}


class RecordingApp:
    def __init__(self, response: dict[str, Any] | None = None) -> None:
        self.routes = {"/ping": {"GET": 0}, "/training/{execution_id}": {"GET": 0, "POST": 0}}
        self.events: list[dict[str, Any]] = []
        self.response = response or {
            "statusCode": 201,
            "headers": {"Content-Type": "application/json"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
            "body": '{"ok":true}',
        }

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        assert context.get_remaining_time_in_millis() > 0
        self.events.append(event)
        return self.response


def call(app: ProxyApp, method: str, path: str, body: bytes = b"", **extra: Any) -> Any:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)) if body else "",
        **extra,
    }
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = int(status.split()[0]), headers

    seen["body"] = b"".join(app(environ, start_response))
    return seen


def test_event_has_every_proxy_key_and_the_route_template() -> None:
    lam = RecordingApp()
    call(
        ProxyApp(lam, 1024),
        "POST",
        "/training/run-7",
        b'{"a": 1}',
        QUERY_STRING="x=1&x=2&y=",
        CONTENT_TYPE="application/json",
        HTTP_API_KEY="k",
    )
    (event,) = lam.events
    assert set(event) == EVENT_KEYS
    assert event["requestContext"]["resourcePath"] == "/training/{execution_id}"
    assert event["pathParameters"] == {"execution_id": "run-7"}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"], "y": [""]}
    assert event["queryStringParameters"] == {"x": "2", "y": ""}
    assert event["headers"]["Content-Type"] == "application/json"
    assert event["headers"]["Content-Length"] == "8"
    assert event["headers"]["Api-Key"] == "k"
    assert event["body"] == '{"a": 1}' and event["isBase64Encoded"] is False


def test_empty_query_and_body_are_null_like_api_gateway() -> None:
    lam = RecordingApp()
    call(ProxyApp(lam, 1024), "GET", "/ping")
    (event,) = lam.events
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None and event["body"] is None


def test_non_utf8_body_is_base64() -> None:
    lam = RecordingApp()
    call(ProxyApp(lam, 1024), "POST", "/training/x", b"\xff\x00")
    assert lam.events[0]["isBase64Encoded"] is True
    assert base64.b64decode(lam.events[0]["body"]) == b"\xff\x00"


def test_response_keeps_status_and_every_header() -> None:
    seen = call(ProxyApp(RecordingApp(), 1024), "GET", "/ping")
    assert seen["status"] == 201 and seen["body"] == b'{"ok":true}'
    assert ("Set-Cookie", "a=1") in seen["headers"] and ("Set-Cookie", "b=2") in seen["headers"]


def test_base64_response_is_decoded() -> None:
    response = {"statusCode": 200, "headers": {}, "body": "AAE=", "isBase64Encoded": True}
    seen = call(ProxyApp(RecordingApp(response), 1024), "GET", "/ping")
    assert seen["body"] == b"\x00\x01"


def test_unknown_route_is_404_json_and_never_reaches_the_app() -> None:
    lam = RecordingApp()
    seen = call(ProxyApp(lam, 1024), "GET", "/nope")
    assert seen["status"] == 404 and "error" in json.loads(seen["body"])
    assert lam.events == []


def test_wrong_method_is_405_with_allow() -> None:
    seen = call(ProxyApp(RecordingApp(), 1024), "DELETE", "/ping")
    assert seen["status"] == 405 and ("Allow", "GET") in seen["headers"]
    assert "error" in json.loads(seen["body"])


def test_body_over_the_limit_is_413_unread() -> None:
    lam = RecordingApp()
    stream = io.BytesIO(b"x" * 10)
    seen = call(
        ProxyApp(lam, 1024), "POST", "/training/x", CONTENT_LENGTH="5000", **{"wsgi.input": stream}
    )
    assert seen["status"] == 413 and stream.tell() == 0 and lam.events == []


def test_chunked_body_over_the_limit_is_413() -> None:
    seen = call(
        ProxyApp(RecordingApp(), 8), "POST", "/training/x", **{"wsgi.input": io.BytesIO(b"x" * 100)}
    )
    assert seen["status"] == 413


def test_bad_content_length_is_400() -> None:
    seen = call(ProxyApp(RecordingApp(), 8), "POST", "/training/x", CONTENT_LENGTH="ten")
    assert seen["status"] == 400


def test_app_crash_is_a_json_500() -> None:
    class Crashing(RecordingApp):
        def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
            raise RuntimeError("boom")

    seen = call(ProxyApp(Crashing(), 8), "GET", "/ping")
    assert seen["status"] == 500 and json.loads(seen["body"]) == {"error": "internal error"}


def test_routes_on_the_path_as_sent_like_api_gateway() -> None:
    lam = RecordingApp()
    seen = call(ProxyApp(lam, 1024), "GET", "/ping", RAW_URI="/p%69ng?x=1")
    assert seen["status"] == 404 and lam.events == []


def test_path_parameters_are_decoded_and_the_path_is_not() -> None:
    lam = RecordingApp()
    call(ProxyApp(lam, 1024), "GET", "/training/run/1", RAW_URI="/training/run%2F1")
    (event,) = lam.events
    assert event["pathParameters"] == {"execution_id": "run/1"}
    assert event["path"] == "/training/run%2F1"


def test_absolute_form_target_is_routed_on_its_path() -> None:
    environ = build_environ(b"GET", b"http://host:80/ping?x=1", b"1.1", [], b"", None)
    assert environ["RAW_URI"] == "/ping?x=1" and environ["QUERY_STRING"] == "x=1"
    lam = RecordingApp()
    call(ProxyApp(lam, 1024), "GET", environ["PATH_INFO"], RAW_URI=environ["RAW_URI"])
    assert lam.events[0]["path"] == "/ping"
