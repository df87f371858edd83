"""One client connection: read HTTP/1.1 on the event loop, answer through the WSGI app.

h11 parses; this class adds what a server facing unbuffered clients needs: deadlines
for the head and the body (408), a bound on both (431/414/413, a chunk announced larger
than the body limit included), a keep-alive timeout, no request with ambiguous framing
(ecs_proxy.framing), and answers in the API's `{"error": ...}` shape for whatever it
refuses. The app is called inline, so a worker process runs exactly one request at a
time, as Chalice's app object requires, while any number of slow clients wait on the
loop.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Callable
from typing import Any, Protocol

import h11

from ecs_proxy.deadline import Deadline
from ecs_proxy.framing import framing_problem, raw_fields
from ecs_proxy.limits import ServerLimits
from ecs_proxy.messages import build_environ, call_wsgi, error_response, http_date, reason

log = logging.getLogger(__name__)

# After an error answer, how long to read and drop what the client still sends.
_LINGER_SECONDS = 1.0
# A head still incomplete after this long marks its connection as slow: it does not
# count as load when the workers share out new connections (ecs_proxy.balance).
_SLOW_HEAD_SECONDS = 1.0


class Registry(Protocol):
    def add(self, conn: HttpConnection) -> bool: ...
    def discard(self, conn: HttpConnection) -> None: ...
    def slow(self, conn: HttpConnection, is_slow: bool) -> None: ...


class HttpConnection(asyncio.Protocol):
    def __init__(self, app: Callable[..., Any], limits: ServerLimits, registry: Registry) -> None:
        self._app, self._limits, self._registry = app, limits, registry
        self._h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=limits.max_header_bytes)
        self._transport: asyncio.Transport | None = None
        self._peer: Any = None
        self._deadline: Deadline | None = None
        self._request: h11.Request | None = None
        self._body = bytearray()
        self._head = bytearray()  # the head being read, as sent (ecs_proxy.framing)
        self._idle = False  # between requests, no byte of the next one yet
        self._head_since = self._body_since = 0.0
        self.is_slow = False
        self._closing = False
        self._stopping = False  # the worker is shutting down: close after this answer
        self._write_paused = False

    # asyncio callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._deadline = deadline = Deadline(self._expired)
        self._head_since = deadline.now()
        self._peer = transport.get_extra_info("peername")
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            # Small answers must leave at once, not wait ~40 ms for a delayed ACK.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if not self._registry.add(self):
            self._fail(503, "too many open connections; retry shortly")
            return
        self._wait()

    def connection_lost(self, exc: Exception | None) -> None:
        self._closing = True
        if self._deadline is not None:
            self._deadline.cancel()
        self._registry.discard(self)

    def data_received(self, data: bytes) -> None:
        if self._closing:
            return
        if self._deadline is not None:
            if self._idle:
                self._idle = False
                self._head_since = self._deadline.now()
            elif (
                self._request is None
                and not self.is_slow
                and self._deadline.now() - self._head_since > _SLOW_HEAD_SECONDS
            ):
                self.is_slow = True
                self._registry.slow(self, True)
        if self._request is None:
            self._head += data
        self._h11.receive_data(data)
        self._process()

    def eof_received(self) -> bool:
        if not self._closing:
            self._h11.receive_data(b"")
            self._process()
        return False  # the transport closes itself

    def pause_writing(self) -> None:
        # The client does not read its answers: stop reading its next requests too.
        self._write_paused = True
        if self._transport is not None:
            self._transport.pause_reading()

    def resume_writing(self) -> None:
        self._write_paused = False
        if self._transport is not None and not self._closing:
            self._transport.resume_reading()
            self._process()

    # the worker's side

    def stop(self) -> None:
        """Close now unless a request is being read, else right after its answer."""
        self._stopping = True
        if self._request is None:
            self._close()

    # request handling

    def _process(self) -> None:
        while not self._closing and not self._write_paused:
            try:
                event = self._h11.next_event()
            except h11.RemoteProtocolError as exc:
                self._protocol_error(exc)
                return
            if event is h11.NEED_DATA or event is h11.PAUSED:
                if self._request is not None and self._announced_too_much():
                    return
                self._wait()
                return
            if isinstance(event, h11.Request):
                self._start(event)
            elif isinstance(event, h11.Data):
                self._body += event.data
                if len(self._body) > self._limits.max_body_bytes:
                    self._fail(413, f"body larger than {self._limits.max_body_bytes} bytes")
            elif isinstance(event, h11.EndOfMessage):
                self._respond()
            else:  # ConnectionClosed
                self._close()

    def _start(self, request: h11.Request) -> None:
        self._request, self._body = request, bytearray()
        # What h11 has not consumed yet follows the head: the body, perhaps more requests.
        head = bytes(self._head[: len(self._head) - len(self._h11.trailing_data[0])])
        self._head = bytearray()
        if self.is_slow:
            self.is_slow = False
            self._registry.slow(self, False)
        # h11 bounds a head still arriving; one that arrived whole in a read is measured here.
        line = len(request.method) + len(request.target) + 11
        if line > self._limits.max_header_bytes:
            self._fail(414, "request line too long")
            return
        if (
            line + sum(len(n) + len(v) + 4 for n, v in request.headers)
            > self._limits.max_header_bytes
        ):
            self._fail(431, "request headers too large")
            return
        refusal = framing_problem(raw_fields(head), request.http_version == b"1.0")
        if refusal is not None:
            # Before the body: nothing of it, nor anything after it, is read as a request.
            self._fail(*refusal)
            return
        limit = self._limits.max_body_bytes
        for name, value in request.headers:
            if name == b"content-length" and int(value) > limit:
                # Refused unread; the connection closes, as the body is still coming.
                self._fail(413, f"body larger than {limit} bytes")
                return
        if self._h11.they_are_waiting_for_100_continue:
            continue_ = h11.InformationalResponse(status_code=100, headers=[], reason=b"Continue")
            self._write(self._h11.send(continue_))
        if self._deadline is not None:
            self._body_since = self._deadline.now()

    def _respond(self) -> None:
        request = self._request
        assert request is not None
        environ = build_environ(
            request.method,
            request.target,
            request.http_version,
            list(request.headers),
            bytes(self._body),
            self._peer,
        )
        status, headers, body = call_wsgi(self._app, environ)
        headers.append(("Date", http_date(time.time())))
        if self._stopping:
            headers.append(("Connection", "close"))
        try:
            data = self._h11.send(
                h11.Response(status_code=status, headers=headers, reason=reason(status))
            )
            if body and request.method != b"HEAD":
                data = (data or b"") + (self._h11.send(h11.Data(data=body)) or b"")
            data = (data or b"") + (self._h11.send(h11.EndOfMessage()) or b"")
        except h11.LocalProtocolError:
            log.exception("the app's answer is not valid HTTP")
            self._fail(500, "internal error")
            return
        self._write(data)
        if self._h11.our_state is not h11.DONE or self._h11.their_state is not h11.DONE:
            self._close()  # Connection: close, HTTP/1.0, or stopping
            return
        self._h11.start_next_cycle()
        self._request, self._body = None, bytearray()
        self._head = bytearray(self._h11.trailing_data[0])  # the next head's first bytes
        self._idle = not self._head
        if not self._idle and self._deadline is not None:  # the next one is arriving already
            self._head_since = self._deadline.now()

    def _announced_too_much(self) -> bool:
        """Refuse a chunk announced larger than what the body may still hold, as soon as
        its size line arrives, not after the body deadline. h11 keeps the size of the
        chunk it reads in its reader (private state of the pinned version; the raw-socket
        test of this refusal fails if that changes)."""
        announced = getattr(getattr(self._h11, "_reader", None), "_bytes_in_chunk", 0)
        limit = self._limits.max_body_bytes
        if isinstance(announced, int) and len(self._body) + announced > limit:
            self._fail(413, f"body larger than {limit} bytes")
            return True
        return False

    def _protocol_error(self, exc: h11.RemoteProtocolError) -> None:
        status = exc.error_status_hint
        if status == 431:
            pending = self._h11.trailing_data[0]
            if self._request is None and b"\n" not in pending:
                self._fail(414, "request line too long")
            else:
                self._fail(431, "request headers too large")
            return
        # h11's message may quote the request (a header line, perhaps a key): keep its
        # first words only.
        detail = str(exc).split(":")[0]
        self._fail(status, f"malformed request: {detail}")

    def _wait(self) -> None:
        """Waiting for the client: set the deadline of what it owes us now."""
        deadline, limits = self._deadline, self._limits
        if deadline is None:
            return
        if self._request is not None:
            deadline.set("body", self._body_since + limits.body_timeout)
        elif self._idle:
            deadline.set("idle", deadline.now() + limits.keepalive_timeout)
        else:
            deadline.set("head", self._head_since + limits.header_timeout)

    def _expired(self, phase: str) -> None:
        if phase == "head":
            self._fail(408, f"request head not received within {self._limits.header_timeout:g} s")
        elif phase == "body":
            self._fail(408, f"request body not received within {self._limits.body_timeout:g} s")
        else:  # idle, or done lingering
            self._close()

    # plumbing

    def _fail(self, status: int, message: str) -> None:
        log.debug("refused %s from %s: %s", status, self._peer, message)
        head_only = self._request is not None and self._request.method == b"HEAD"
        self._write(error_response(status, message, now=time.time(), head_only=head_only))
        self._linger()

    def _linger(self) -> None:
        """Half-close, then drop what the client still sends for a moment: closing with
        unread bytes makes the kernel send a reset, which can destroy the answer."""
        self._closing = True
        if self._transport is not None and self._transport.can_write_eof():
            self._transport.write_eof()
        if self._deadline is not None:
            self._deadline.set("linger", self._deadline.now() + _LINGER_SECONDS)

    def _write(self, data: bytes | None) -> None:
        if data and self._transport is not None and not self._closing:
            self._transport.write(data)

    def _close(self) -> None:
        self._closing = True
        if self._deadline is not None:
            self._deadline.cancel()
        if self._transport is not None:
            self._transport.close()
