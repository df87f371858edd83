"""WSGI request -> API Gateway REST proxy event, and the context Lambda would pass."""

from __future__ import annotations

import base64
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from chalice_app.routing import RouteMatch
from contract.resources import APP_NAME

# WSGI keeps these two out of HTTP_*; API Gateway passes them as ordinary headers.
_PLAIN_HEADERS = {"CONTENT_TYPE": "Content-Type", "CONTENT_LENGTH": "Content-Length"}


def headers_from_environ(environ: dict[str, Any]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").title()] = value
        elif key in _PLAIN_HEADERS and value:
            headers[_PLAIN_HEADERS[key]] = value
    return headers


def _query(raw: str) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    pairs = parse_qsl(raw, keep_blank_values=True)
    if not pairs:
        return None, None
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        multi.setdefault(name, []).append(value)
    return {name: values[-1] for name, values in multi.items()}, multi


def _body(raw: bytes) -> tuple[str | None, bool]:
    if not raw:
        return None, False
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode("ascii"), True


def build_event(
    environ: dict[str, Any], path: str, route: RouteMatch, body: bytes
) -> dict[str, Any]:
    method = environ["REQUEST_METHOD"]
    headers = headers_from_environ(environ)
    single, multi = _query(environ.get("QUERY_STRING", ""))
    text, is_base64 = _body(body)
    return {
        "resource": route.template,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": single,
        "multiValueQueryStringParameters": multi,
        "pathParameters": route.params or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": route.template,
            "httpMethod": method,
            "path": path,
            "stage": "ecs",
            "requestId": uuid.uuid4().hex,
            "requestTimeEpoch": int(time.time() * 1000),
            "protocol": environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            "identity": {
                "sourceIp": environ.get("REMOTE_ADDR", ""),
                "userAgent": headers.get("User-Agent"),
            },
            "domainName": headers.get("Host", ""),
            "apiId": "ecs-proxy",
        },
        "body": text,
        "isBase64Encoded": is_base64,
    }


@dataclass
class ProxyContext:
    """What Chalice may read from a Lambda context."""

    function_name: str = f"{APP_NAME}-ecs"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 0
    invoked_function_arn: str = ""
    log_group_name: str = ""
    log_stream_name: str = ""
    aws_request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    deadline: float = field(default_factory=lambda: time.monotonic() + 30.0)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))
