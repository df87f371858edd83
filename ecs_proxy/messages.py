"""Between HTTP/1.1 and WSGI: the environ of a request, the app's answer, and the server's
own answers in the API's `{"error": ...}` shape."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable
from email.utils import formatdate
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote_to_bytes

from chalice_app.errors import error_body

log = logging.getLogger(__name__)

Headers = list[tuple[bytes, bytes]]

# WSGI keeps these two out of HTTP_*.
_PLAIN = {b"content-type": "CONTENT_TYPE", b"content-length": "CONTENT_LENGTH"}


def build_environ(
    method: bytes,
    target: bytes,
    version: bytes,
    headers: Headers,
    body: bytes,
    peer: tuple[str, int] | None,
) -> dict[str, Any]:
    """What gunicorn's sync worker gave the proxy, for a request read in full."""
    if target.startswith((b"http://", b"https://")):
        # Absolute form (RFC 9112 3.2.2): what follows the authority is the path.
        slash = target.find(b"/", target.index(b"//") + 2)
        target = target[slash:] if slash >= 0 else b"/"
    raw_path, _, query = target.partition(b"?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method.decode("ascii"),
        # PEP 3333: the decoded path as latin-1 text; RAW_URI keeps what the client sent.
        "PATH_INFO": unquote_to_bytes(raw_path).decode("latin-1"),
        "RAW_URI": target.decode("latin-1"),
        "QUERY_STRING": query.decode("latin-1"),
        "SERVER_PROTOCOL": "HTTP/" + version.decode("ascii"),
        "REMOTE_ADDR": peer[0] if peer else "",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
    }
    for name, value in headers:
        key = _PLAIN.get(name)
        if key is None:
            if b"_" in name:
                # X_Api_Key and X-Api-Key would both become HTTP_X_API_KEY: drop the
                # underscore form, as gunicorn does, so one header cannot pose as another.
                continue
            key = "HTTP_" + name.decode("latin-1").upper().replace("-", "_")
        text = value.decode("latin-1")
        environ[key] = f"{environ[key]}, {text}" if key in environ else text
    if body and "CONTENT_LENGTH" not in environ:  # a chunked body, now read in full
        environ["CONTENT_LENGTH"] = str(len(body))
    return environ


def error_json(message: str) -> bytes:
    """The API's one error body, encoded."""
    return json.dumps(error_body(message)).encode()


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


_date_cache: tuple[int, str] = (0, "")


def http_date(now: float) -> str:
    """The Date header's value, formatted once a second."""
    global _date_cache
    second = int(now)
    if _date_cache[0] != second:
        _date_cache = (second, formatdate(second, usegmt=True))
    return _date_cache[1]


def error_response(status: int, message: str, *, now: float, head_only: bool = False) -> bytes:
    """A complete response that closes the connection, in the API's one error shape."""
    body = error_json(message)
    head = (
        f"HTTP/1.1 {status} {reason(status)}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Date: {http_date(now)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode("ascii")
    return head if head_only else head + body


def call_wsgi(
    app: Callable[..., Any], environ: dict[str, Any]
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body of one WSGI call; a crash is a JSON 500."""
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        seen["status"], seen["headers"] = status, headers

    try:
        result = app(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return int(seen["status"].split(" ", 1)[0]), list(seen["headers"]), body
    except Exception:
        log.exception("the WSGI app failed")
        return 500, [("Content-Type", "application/json")], error_json("internal error")
