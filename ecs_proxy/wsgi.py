"""The WSGI app: route, bound the body, call the Chalice app as Lambda would, answer."""

from __future__ import annotations

import base64
import io
import logging
import os
from collections.abc import Callable, Iterable
from typing import Any

from chalice_app import observability
from chalice_app.routing import RouteTable
from contract.environment import server_body_limit
from ecs_proxy.lambda_event import ProxyContext, build_event
from ecs_proxy.messages import error_json, reason

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
LambdaApp = Callable[[dict[str, Any], Any], dict[str, Any]]


class _TooLarge(Exception):
    pass


def _status_line(code: int) -> str:
    return f"{code} {reason(code)}"


def _read_body(environ: dict[str, Any], limit: int) -> bytes:
    stream = environ["wsgi.input"]
    raw_length = environ.get("CONTENT_LENGTH") or ""
    if raw_length:
        length = int(raw_length)  # ValueError -> 400 by the caller
        if length < 0:
            raise ValueError("negative Content-Length")
        if length > limit:
            raise _TooLarge
        return bytes(stream.read(length))
    # Chunked bodies have no length up front: read one byte past the limit to know.
    body = bytes(stream.read(limit + 1))
    if len(body) > limit:
        raise _TooLarge
    return body


def _request_path(environ: dict[str, Any]) -> str:
    """The path as the client sent it, percent-encoding and all.

    API Gateway's REST APIs (what Chalice deploys) match resources on the path as sent
    and pass it on still encoded (`event.path`): `/get%5fprediction` is no route, and
    `%2F` never splits a segment. Only path parameters reach the function decoded.
    """
    raw = environ.get("RAW_URI")
    if raw:
        return str(raw).partition("?")[0] or "/"
    # WSGI hands PATH_INFO over as latin-1 text; undo that to get the UTF-8 path back.
    return environ.get("PATH_INFO", "/").encode("latin-1").decode("utf-8", "replace") or "/"


def _from_proxy_response(result: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(k, str(v)) for k, v in (result.get("headers") or {}).items()]
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers += [(name, str(v)) for v in values]
    body = result.get("body") or ""
    if result.get("isBase64Encoded"):
        data = base64.b64decode(body)
    else:
        data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    return int(result["statusCode"]), headers, data


class ProxyApp:
    def __init__(self, app: Any, max_body_bytes: int) -> None:
        self._app: LambdaApp = app
        self._routes = RouteTable({path: entries.keys() for path, entries in app.routes.items()})
        self._limit = max_body_bytes

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        status, headers, body = self._handle(environ)
        headers.append(("Content-Length", str(len(body))))
        start_response(_status_line(status), headers)
        return [body]

    def ping(self) -> int:
        """Ask the app for /ping through the same event path a client's request takes."""
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/ping", "wsgi.input": io.BytesIO()}
        return self._handle(environ)[0]

    def _handle(self, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
        path = _request_path(environ)
        route = self._routes.match(path)
        if route is None:
            return _error(404, f"no route for {path}")
        method = environ["REQUEST_METHOD"]
        if method not in route.methods:
            allow = ", ".join(sorted(route.methods))
            return _error(405, f"method {method} not allowed; use {allow}", [("Allow", allow)])
        try:
            body = _read_body(environ, self._limit)
        except _TooLarge:
            return _error(413, f"body larger than {self._limit} bytes")
        except ValueError:
            return _error(400, "invalid Content-Length")
        event = build_event(environ, path, route, body)
        try:
            return _from_proxy_response(self._app(event, ProxyContext()))
        except Exception:
            log.exception("the app failed outside its own error handling")
            return _error(500, "internal error")


def _error(
    status: int, message: str, extra: list[tuple[str, str]] | None = None
) -> tuple[int, list[tuple[str, str]], bytes]:
    """The proxy's own answer, which the app never sees: counted here, as the app counts
    its own (chalice_app/app.py)."""
    observability.count_answer(status)
    headers = [("Content-Type", "application/json"), *(extra or [])]
    return status, headers, error_json(message)


def build_wsgi_app() -> ProxyApp:
    """The proxy over the project's Chalice app (imported here, in the worker)."""
    from chalice_app.app import app

    # The server's own bound: the largest body any route takes (each route then holds its
    # own limit). Any other setting the app reads, and answers 503 when wrong.
    return ProxyApp(app, server_body_limit(os.environ))
