"""What the API function's check of the proxy event costs each request it lets through.

    python -m benchmarks.event_check [--rounds 9]

Builds the event the ECS proxy builds for a /get_prediction request with an ALB's
headers and times the check alone on it (`chalice_app.proxy_event.problem`); then calls
the app on /openapi.json (a route that touches no backend) through the checked entry
point and through Chalice's own `__call__`, which goes first alternating from round to
round. Medians of the rounds; the ratio is checked over unchecked.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import timeit
from collections.abc import Callable, Sequence
from typing import Any

from chalice.app import Chalice

from benchmarks.load import load_average
from chalice_app.app import app
from chalice_app.proxy_event import problem
from chalice_app.routing import RouteTable
from ecs_proxy.lambda_event import ProxyContext, build_event

CALLS = 5_000
# What an internal ALB forwards with a client's request.
ALB_HEADERS = {
    "HTTP_HOST": "internal-pvp-prd-123456789.us-east-1.elb.amazonaws.com",
    "HTTP_USER_AGENT": "python-urllib3/2.2",
    "HTTP_ACCEPT": "*/*",
    "HTTP_API_KEY": "k" * 43,
    "HTTP_X_FORWARDED_FOR": "10.0.1.23",
    "HTTP_X_FORWARDED_PROTO": "http",
    "HTTP_X_FORWARDED_PORT": "80",
    "HTTP_X_AMZN_TRACE_ID": "Root=1-676b1a2c-0a1b2c3d4e5f60718293a4b5",
}


def proxy_event(method: str, path: str, body: bytes) -> dict[str, Any]:
    routes = RouteTable({template: entries.keys() for template, entries in app.routes.items()})
    route = routes.match(path)
    assert route is not None
    environ = {
        "REQUEST_METHOD": method,
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/json" if body else "",
        "CONTENT_LENGTH": str(len(body)) if body else "",
        "wsgi.input": io.BytesIO(body),
        **ALB_HEADERS,
    }
    return build_event(environ, path, route, body)


def per_call_us(work: Callable[[], object]) -> float:
    return min(timeit.repeat(work, number=CALLS, repeat=3)) / CALLS * 1e6


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.event_check")
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args(argv)
    body = json.dumps(
        {"Type": "casa", "Sector": "vitacura", "NetUsableArea": 80, "NetArea": 90}
    ).encode()
    predict = proxy_event("POST", "/get_prediction", body)
    document = proxy_event("GET", "/openapi.json", b"")
    context = ProxyContext()
    assert problem(predict, app.routes) is None and problem(document, app.routes) is None

    check: list[float] = []
    checked: list[float] = []
    unchecked: list[float] = []
    for round_number in range(args.rounds):
        check.append(per_call_us(lambda: problem(predict, app.routes)))
        pair = [
            (checked, lambda: app(document, context)),
            (unchecked, lambda: Chalice.__call__(app, document, context)),
        ]
        for figures, work in pair if round_number % 2 else reversed(pair):  # ABBA order
            figures.append(per_call_us(work))
    print(f"load average: {load_average()}; {args.rounds} rounds of {CALLS} calls, medians")
    print(f"check alone, proxy /get_prediction event: {statistics.median(check):.2f} us")
    ratio = statistics.median(checked) / statistics.median(unchecked)
    print(
        f"/openapi.json through the app: checked {statistics.median(checked):.1f} us, "
        f"Chalice's own {statistics.median(unchecked):.1f} us (ratio {ratio:.3f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
