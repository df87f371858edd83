"""Matches a request path to one of the Chalice app's route templates.

The ECS proxy routes each request with it, and the test invoker checks an endpoint with
it before calling the API: both read the app's own route table (`app.routes`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote

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
