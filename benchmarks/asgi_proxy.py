"""The proxy as an ASGI app, for the maintained servers the API benchmark compares.

The server reads heads and bodies on its event loop; this adapter adds what the API
needs on top: the body limit (413) and deadline (408) read on the loop, never in a
thread the app needs; the framing rules of RFC 9112 section 6 the server leaves to the
app (ecs_proxy.framing); and the call into the
WSGI proxy inline, so a process runs one request at a time, as Chalice's app object
requires (`app.current_request`), while any number of clients wait on the loop.
The lifespan warms the process up before its first request and writes its metrics once
a second and at exit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from chalice_app import observability
from ecs_proxy.framing import framing_problem
from ecs_proxy.limits import ServerLimits, load_limits
from ecs_proxy.messages import build_environ, call_wsgi, error_json
from ecs_proxy.server import METRICS_FLUSH_SECONDS, warm_up
from ecs_proxy.wsgi import ProxyApp, build_wsgi_app

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_CLOSE = (b"connection", b"close")
_JSON = (b"content-type", b"application/json")


class _Refusal(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class _Gone(Exception):
    """The client left before its body arrived: nobody to answer."""


class ProxyAsgi:
    def __init__(self, limits: ServerLimits | None = None, app: ProxyApp | None = None) -> None:
        self._limits = limits or load_limits()
        self._app = app
        self._flusher: asyncio.Task[None] | None = None

    @property
    def app(self) -> ProxyApp:
        if self._app is None:
            self._app = build_wsgi_app()
        return self._app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        # anything else (websocket) is left unanswered: the server refuses it

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers: list[tuple[bytes, bytes]] = list(scope["headers"])
        try:
            # ASGI servers hand header names over in lower case.
            refusal = framing_problem(headers, scope.get("http_version") == "1.0")
            if refusal is not None:
                raise _Refusal(*refusal)
            body = await self._read_body(headers, receive)
        except _Refusal as exc:
            body = error_json(exc.message)
            length = (b"content-length", str(len(body)).encode("ascii"))
            await _answer(send, exc.status, [_JSON, length, _CLOSE], body)
            return
        except _Gone:
            return
        target = scope.get("raw_path") or scope["path"].encode("utf-8")
        if scope.get("query_string"):
            target += b"?" + scope["query_string"]
        client = scope.get("client")
        environ = build_environ(
            scope["method"].encode("ascii"),
            target,
            scope.get("http_version", "1.1").encode("ascii"),
            headers,
            body,
            (client[0], int(client[1])) if client else None,
        )
        # Inline, no await: the process runs this request alone.
        status, answer_headers, answer = call_wsgi(self.app, environ)
        raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in answer_headers]
        await _answer(send, status, raw, answer)

    async def _read_body(self, headers: list[tuple[bytes, bytes]], receive: Receive) -> bytes:
        limit = self._limits.max_body_bytes
        for name, value in headers:
            if name.lower() == b"content-length" and int(value) > limit:
                # Refused unread; the connection closes, as the body is still coming.
                raise _Refusal(413, f"body larger than {limit} bytes")
        chunks, size = [], 0
        try:
            async with asyncio.timeout(self._limits.body_timeout):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        raise _Gone
                    data = message.get("body", b"")
                    size += len(data)
                    if size > limit:
                        raise _Refusal(413, f"body larger than {limit} bytes")
                    chunks.append(data)
                    if not message.get("more_body", False):
                        return b"".join(chunks)
        except TimeoutError:
            raise _Refusal(
                408, f"request body not received within {self._limits.body_timeout:g} s"
            ) from None

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.warm_up()
                self._flusher = asyncio.get_running_loop().create_task(_flush_each_second())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._flusher is not None:
                    self._flusher.cancel()
                observability.flush()  # what the last second counted, before the process goes
                await send({"type": "lifespan.shutdown.complete"})
                return

    def warm_up(self) -> None:
        status = warm_up(self.app)
        if status != 200:
            log.warning("not ready yet: /ping answered %s", status)


async def _flush_each_second() -> None:
    while True:
        await asyncio.sleep(METRICS_FLUSH_SECONDS)
        try:
            observability.end_request()  # a quiet second still writes what it counted
        except Exception:
            log.exception("writing the metrics failed")


async def _answer(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
