"""Hand-written API Gateway events are refused with a 400 that says what is wrong.

API Gateway and the ECS proxy always send a complete REST proxy event; people writing
one in the Lambda console often do not. Chalice reads such an event before any route
runs, and a missing key, a `body` written as a JSON object, a body marked base64 that is
not, or a templated route without its `pathParameters` became a 500 and a traceback (or
Chalice's own `{"Code", "Message"}` 500). `CheckedChalice` looks first: a few type checks
on keys Chalice reads anyway: a few microseconds on a proxy event (docs/benchmarks.md).
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Mapping
from itertools import repeat
from typing import Any, Final

from chalice.app import Chalice, Response

from chalice_app import observability
from chalice_app.errors import error_body

log = logging.getLogger(__name__)

# The error kind the refusals are counted under (observability's `errors` metric).
MALFORMED_EVENT: Final = "MalformedEventError"
# Keys Chalice's Request reads with `event[...]`: each is present in every proxy event,
# null when empty.
_REQUIRED: Final = (
    "headers",
    "multiValueQueryStringParameters",
    "pathParameters",
    "stageVariables",
    "body",
)
_REQUIRED_KEYS: Final = frozenset(_REQUIRED)
_NULL_OR_OBJECT: Final = ("multiValueQueryStringParameters", "stageVariables")
# What the test invoker takes (chalice_app/invoker): a common mix-up in the console.
_INVOKER_KEYS: Final = ("endpoint", "method_type")


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a JSON object"
    if isinstance(value, list):
        return "a JSON array"
    if isinstance(value, bool):
        return "a boolean"
    return "a number" if isinstance(value, int | float) else type(value).__name__


def problem(event: Any, routes: Mapping[str, Mapping[str, Any]]) -> str | None:
    """What is wrong with `event` as an API Gateway REST proxy event, or None."""
    if not isinstance(event, dict):
        return f"the event must be a JSON object (API Gateway's proxy event), not {_kind(event)}"
    context = event.get("requestContext")
    if not isinstance(context, dict) or "resourcePath" not in context:
        if all(key in event for key in _INVOKER_KEYS):
            return (
                "this is the test invoker's event ({endpoint, headers, method_type, payload}): "
                "invoke the test invoker with it, or send this function an API Gateway event"
            )
        return "the event lacks requestContext.resourcePath, the route API Gateway matched"
    resource = context["resourcePath"]
    if not isinstance(resource, str) or resource not in routes:
        known = ", ".join(sorted(routes))
        return f"requestContext.resourcePath must be one of this API's routes ({known})"
    if not isinstance(context.get("httpMethod"), str):
        return "requestContext.httpMethod must be the request's method, e.g. GET"
    if not event.keys() >= _REQUIRED_KEYS:
        missing = [key for key in _REQUIRED if key not in event]
        return (
            f"the event lacks {', '.join(missing)} (API Gateway always sends them; null when empty)"
        )
    return _values_problem(event, resource, routes[resource])


def _values_problem(event: dict[str, Any], resource: str, entries: Mapping[str, Any]) -> str | None:
    headers = event["headers"]
    # A JSON object's names are strings already: only the values need a look.
    if headers is not None and not (
        isinstance(headers, dict) and all(map(isinstance, headers.values(), repeat(str)))
    ):
        return 'headers must be null or an object of strings, e.g. {"API-key": "..."}'
    for key in _NULL_OR_OBJECT:
        if event[key] is not None and not isinstance(event[key], dict):
            return f"{key} must be null or an object, not {_kind(event[key])}"
    entry = next(iter(entries.values()), None)
    names = getattr(entry, "view_args", ())
    given = event["pathParameters"] if isinstance(event["pathParameters"], dict) else {}
    absent = [name for name in names if not isinstance(given.get(name), str) or not given[name]]
    if absent:
        wanted = ", ".join(f'"{name}": "..."' for name in absent)
        return f"pathParameters must give {resource}'s {', '.join(absent)}: {{{wanted}}}"
    return _body_problem(event["body"], event.get("isBase64Encoded"))


def _body_problem(body: Any, is_base64: Any) -> str | None:
    # Bytes never come from Lambda (its events are JSON) but from Chalice's own local
    # gateway (`chalice local`, chalice.test.Client), which Chalice's Request reads too.
    if body is not None and not isinstance(body, str | bytes):
        return (
            f"body must be a string (the request's JSON as text, as API Gateway sends it), "
            f'not {_kind(body)}: write "body": "{{\\"Type\\": ...}}"'
        )
    if is_base64 is not None and not isinstance(is_base64, bool):
        return "isBase64Encoded must be true or false"
    if is_base64 and body is not None:
        try:
            base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return "isBase64Encoded is true but body is not base64: set it to false for text"
    return None


class CheckedChalice(Chalice):
    """A Chalice app that answers a malformed proxy event 400 before reading it."""

    def __call__(self, event: Any, context: Any) -> dict[str, Any]:
        found = problem(event, self.routes)
        if found is None:
            return super().__call__(event, context)
        return self._refuse(found, context)

    def _refuse(self, found: str, context: Any) -> dict[str, Any]:
        request_id = getattr(context, "aws_request_id", None)
        function = getattr(context, "function_name", None)
        with observability.request(str(request_id) if request_id else None, function):
            observability.count_error(MALFORMED_EVENT)
            observability.count_answer(400)
            # The problem names keys and types only: never a header's value (the key).
            log.warning("refused a malformed API Gateway event", extra={"problem": found})
        headers: dict[str, str | list[str]] = {"Content-Type": "application/json"}
        response = Response(body=error_body(found), status_code=400, headers=headers)
        return response.to_dict(self.api.binary_types)
