"""The invoker's one job: read the event, call the API, say what came back.

Every outcome is a result `{"status_code", "body", "error"}`: the API's status and its
decoded answer with `"error": null`, or no status and `"error": {"kind", "message"}`
when the event is wrong or the API gave no answer. Nothing raises to Lambda.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Mapping
from typing import Any, Final

from chalice_app.invoker.event import NOT_CONFIGURED, TIMEOUT, InvokerError, parse_event
from chalice_app.invoker.transport import Answer, send
from contract.environment import API_URL
from contract.settings import ConfigurationError

log = logging.getLogger(__name__)

Result = dict[str, Any]
# What the function keeps of its own time to build the result and log it.
MARGIN_SECONDS: Final = 1.0


def result(status_code: int | None, body: Any, error: InvokerError | None = None) -> Result:
    shown = None if error is None else {"kind": error.kind, "message": error.message}
    return {"status_code": status_code, "body": body, "error": shown}


def decoded(answer: Answer) -> Any:
    """The answer's JSON if it is JSON, else its text."""
    text = answer.body.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def api_url(env: Mapping[str, str]) -> str:
    try:
        url = API_URL.read(env)
    except ConfigurationError as exc:
        raise InvokerError(NOT_CONFIGURED, str(exc)) from None
    if url is None:
        raise InvokerError(NOT_CONFIGURED, f"{API_URL.name} is not set: the stack sets it")
    return url


def invoke(
    event: Any,
    routes: Mapping[str, Iterable[str]],
    env: Mapping[str, str],
    seconds_left: float,
) -> Result:
    """Call the API at `env`'s URL as `event` asks, within `seconds_left` less a margin."""
    started = time.monotonic()
    route = method = None
    try:
        call = parse_event(event, routes)
        route, method = call.route, call.method
        base_url = api_url(env)
        budget = seconds_left - MARGIN_SECONDS
        if budget <= 0:
            raise InvokerError(TIMEOUT, "no time left to call the API")
        answer = send(base_url, call, budget)
    except InvokerError as exc:
        outcome = result(None, None, exc)
    else:
        outcome = result(answer.status, decoded(answer))
    error = outcome["error"]
    # The route template and the method only: never a header (the API key) or a payload.
    log.info(
        "called the API",
        extra={
            "route": route,
            "method": method,
            "status_code": outcome["status_code"],
            "error_kind": error["kind"] if error else None,
            "elapsed_ms": round((time.monotonic() - started) * 1000, 1),
        },
    )
    return outcome
