"""One HTTP request to the API, all of it (connect, send, answer) within a deadline.

http.client (what urllib is built on) rather than urllib.request: it follows no
redirect, raises nothing on a 4xx or 5xx, and hands over its socket, whose timeout is
set to what is left of the deadline before each step, so a slow answer cannot outlast
the Lambda function that waits for it.
"""

from __future__ import annotations

import http.client
import socket
import time
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from chalice_app.invoker.event import (
    BAD_ANSWER,
    BAD_EVENT,
    REFUSED,
    TIMEOUT,
    UNREACHABLE,
    Call,
    InvokerError,
)

# Every answer of the API is a few KiB (the OpenAPI document the largest): more is not it.
MAX_ANSWER_BYTES: Final = 1024 * 1024
_CHUNK: Final = 64 * 1024


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + seconds

    def left(self) -> float:
        """Seconds left for the next step (TimeoutError when none are)."""
        remaining = self._end - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        return remaining


def _connection(base_url: str, seconds: float) -> tuple[http.client.HTTPConnection, str]:
    parts = urlsplit(base_url)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    return kind(parts.netloc, timeout=seconds), parts.path.rstrip("/")


def send(base_url: str, call: Call, seconds: float) -> Answer:
    """The API's answer to `call`, or InvokerError saying why there is none."""
    deadline = _Deadline(seconds)
    try:
        return _exchange(base_url, call, deadline)
    except ConnectionRefusedError:
        raise InvokerError(REFUSED, f"{base_url} refused the connection") from None
    except TimeoutError:  # socket.timeout is TimeoutError since Python 3.10
        raise InvokerError(
            TIMEOUT, f"no whole answer from {base_url} within {seconds:.1f} s"
        ) from None
    except socket.gaierror as exc:
        raise InvokerError(UNREACHABLE, f"cannot resolve {base_url}: {exc.strerror}") from None
    except http.client.HTTPException as exc:
        raise InvokerError(BAD_ANSWER, f"{base_url} did not answer in HTTP: {exc!r}") from None
    except OSError as exc:  # TLS failures included
        raise InvokerError(UNREACHABLE, f"cannot reach {base_url}: {exc}") from None


def _exchange(base_url: str, call: Call, deadline: _Deadline) -> Answer:
    conn, prefix = _connection(base_url, deadline.left())
    try:
        conn.connect()
        sock = conn.sock
        assert sock is not None  # connect() sets it
        sock.settimeout(deadline.left())
        try:
            conn.request(call.method, prefix + call.target, body=call.body, headers=call.headers)
        except ValueError as exc:  # a header http.client will not send (not latin-1, ...)
            raise InvokerError(BAD_EVENT, f"the request cannot be sent as written: {exc}") from None
        sock.settimeout(deadline.left())
        response = conn.getresponse()
        body = bytearray()
        # The response closes the socket once it has read the whole body.
        while not response.isclosed():
            sock.settimeout(deadline.left())
            chunk = response.read(_CHUNK)
            if not chunk:
                break
            body += chunk
            if len(body) > MAX_ANSWER_BYTES:
                raise InvokerError(BAD_ANSWER, f"answer larger than {MAX_ANSWER_BYTES} bytes")
        return Answer(response.status, bytes(body))
    finally:
        conn.close()
