"""The old system's test event, read against the API's own route table.

Nothing leaves the function unless the endpoint is one of the app's routes and the
method one that route takes: a typo is an error in the result, not a call.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from chalice_app.routing import RouteTable

# The kinds of error a result can carry (its "error": {"kind", "message"}).
BAD_EVENT: Final = "bad_event"
UNKNOWN_ENDPOINT: Final = "unknown_endpoint"
METHOD_NOT_ALLOWED: Final = "method_not_allowed"
NOT_CONFIGURED: Final = "not_configured"
REFUSED: Final = "refused"
TIMEOUT: Final = "timeout"
UNREACHABLE: Final = "unreachable"
BAD_ANSWER: Final = "bad_answer"
# The invoker sets these itself from the payload and the URL.
_OWN_HEADERS: Final = frozenset({"content-length", "host", "transfer-encoding"})
_JSON_TYPE: Final = "application/json"


class InvokerError(Exception):
    """Why the invoker has no answer from the API; `kind` is one of the kinds above."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class Call:
    """One request to make: the target is the endpoint as given (path and query)."""

    method: str
    target: str
    route: str  # the route template it matched: what the log names, never the target
    headers: dict[str, str]
    body: bytes | None


def _bad(message: str) -> InvokerError:
    return InvokerError(BAD_EVENT, message)


def _headers(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise _bad('headers must be an object of strings, e.g. {"API-key": "..."}')
    if any(c in "\r\n\0" for item in value.items() for text in item for c in text):
        raise _bad("headers must not hold line breaks or NUL characters")
    return {k: v for k, v in value.items() if k.lower() not in _OWN_HEADERS}


def _body(payload: Any, headers: dict[str, str]) -> bytes | None:
    """A string payload goes as it is; anything else as JSON, typed so if untyped."""
    if payload is None:
        return None
    if isinstance(payload, str):
        return payload.encode("utf-8")
    try:
        encoded = json.dumps(payload, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError):
        raise _bad("payload must be JSON (an object, most often) or a string") from None
    if not any(name.lower() == "content-type" for name in headers):
        headers["Content-Type"] = _JSON_TYPE
    return encoded


def parse_event(event: Any, routes: Mapping[str, Iterable[str]]) -> Call:
    """The call `event` asks for, if the API has that route and method (else InvokerError)."""
    if not isinstance(event, dict):
        raise _bad('the event must be a JSON object {"endpoint", "headers", "method_type", ...}')
    endpoint, method = event.get("endpoint"), event.get("method_type")
    if not isinstance(endpoint, str) or not endpoint.startswith("/"):
        raise _bad('endpoint must be the API path, starting with "/", e.g. "/ping"')
    if not isinstance(method, str) or not method.strip():
        raise _bad('method_type must be an HTTP method, e.g. "GET"')
    parts = urlsplit(endpoint)
    if parts.fragment or any(c.isspace() or not c.isprintable() for c in endpoint):
        raise _bad("endpoint must be a path with an optional query, without spaces or '#'")
    if not endpoint.isascii():
        raise _bad("endpoint must be ASCII, as HTTP sends it: percent-encode the rest (ñ: %C3%B1)")
    table = RouteTable(routes)
    matched = table.match(parts.path)
    if matched is None:
        raise InvokerError(
            UNKNOWN_ENDPOINT,
            f"{parts.path} is none of the API's routes: {', '.join(sorted(routes))}",
        )
    method = method.strip().upper()
    if method not in matched.methods:
        allowed = ", ".join(sorted(matched.methods))
        raise InvokerError(METHOD_NOT_ALLOWED, f"{matched.template} takes {allowed}, not {method}")
    headers = _headers(event.get("headers"))
    return Call(method, endpoint, matched.template, headers, _body(event.get("payload"), headers))
