"""One JSON request to a server the tests started, over a fresh connection."""

from __future__ import annotations

import http.client
import json
from typing import Any

from devtools.launch import RunningServer

JSON_HEADERS = {"Content-Type": "application/json"}


def request_json(
    server: RunningServer,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> tuple[int, Any]:
    """The status and the decoded JSON body of one request."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=timeout)
    try:
        conn.request(method, path, body=body or None, headers=headers or {})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()
