"""Matches a request path to one of the Chalice app's route templates.

The ECS proxy routes each request with it (the app's own table, `app.routes`), and the
test invoker checks an endpoint with it before calling the API, from the routes the API
publishes: its committed OpenAPI document, which a test holds equal to the app's routes,
so the invoker needs no import of the app.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import unquote

# The committed OpenAPI document, beside the package's modules (so in the Lambda zip too).
OPENAPI_DOCUMENT: Final = Path(__file__).with_name("openapi.json")

_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class RouteMatch:
    template: str
    params: dict[str, str]
    methods: frozenset[str]


def _compile(template: str) -> re.Pattern[str]:
    pattern, last = "", 0
    for found in _PARAM.finditer(template):
        pattern += re.escape(template[last : found.start()]) + f"(?P<{found.group(1)}>[^/]+)"
        last = found.end()
    return re.compile(pattern + re.escape(template[last:]))


class RouteTable:
    """Literal templates win over templated ones, as in API Gateway."""

    def __init__(self, routes: Mapping[str, Iterable[str]]) -> None:
        ordered = sorted(routes, key=lambda t: (t.count("{"), -len(t)))
        self._routes = [(t, _compile(t), frozenset(routes[t])) for t in ordered]

    def match(self, path: str) -> RouteMatch | None:
        for template, pattern, methods in self._routes:
            found = pattern.fullmatch(path)
            if found:
                # Matched on the path as sent; parameters reach the app decoded, as
                # API Gateway hands them over.
                params = {name: unquote(value) for name, value in found.groupdict().items()}
                return RouteMatch(template, params, methods)
        return None


@functools.cache
def published_routes() -> dict[str, frozenset[str]]:
    """Each route template the API publishes, with its methods (GET, POST...)."""
    paths = json.loads(OPENAPI_DOCUMENT.read_text(encoding="utf-8"))["paths"]
    return {
        path: frozenset(method.upper() for method in entries) for path, entries in paths.items()
    }
