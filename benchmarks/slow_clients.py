"""Slow clients (slowloris): many connections that send a request one byte at a time.

    python -m benchmarks.slow_clients HOST PORT [--connections 200] [--seconds 30]

Each connection sends `GET /ping HTTP/1.1` and then headers that never end, one byte per
`interval` seconds. When the server closes one (a timeout, a limit), another is opened
in its place, so the server always faces `connections` of them. Tests and the API
benchmark run it in a thread beside their normal clients.
"""

from __future__ import annotations

import argparse
import contextlib
import selectors
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

# Never finishes: after the request line, one endless header value.
_PREFIX = b"GET /ping HTTP/1.1\r\nHost: slow\r\nX-Slow: "


@dataclass
class _Conn:
    sock: socket.socket
    sent: int = 0
    answer: bytes = b""


@dataclass
class SlowClientStats:
    opened: int = 0
    closed_by_server: int = 0
    # First status line word of what the server answered before closing, e.g. "408".
    answers: Counter[str] = field(default_factory=Counter)


class SlowClients:
    """`connections` slow connections to host:port, kept open until `stop()`."""

    def __init__(self, host: str, port: int, connections: int = 200, interval: float = 1.0) -> None:
        self.host, self.port = host, port
        self.connections, self.interval = connections, interval
        self.stats = SlowClientStats()
        self._selector = selectors.DefaultSelector()
        self._conns: dict[int, _Conn] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="slow-clients", daemon=True)

    def __enter__(self) -> SlowClients:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        for _ in range(self.connections):
            self._open()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        for conn in list(self._conns.values()):
            self._drop(conn)
        self._selector.close()

    @property
    def open_now(self) -> int:
        return len(self._conns)

    def _open(self) -> None:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=5)
        except OSError:
            return  # the server refused or is full: tried again on the next tick
        sock.setblocking(False)
        conn = _Conn(sock)
        self._conns[sock.fileno()] = conn
        self._selector.register(sock, selectors.EVENT_READ, conn)
        self.stats.opened += 1
        self._send_one(conn)

    def _drop(self, conn: _Conn) -> None:
        self._conns.pop(conn.sock.fileno(), None)
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(conn.sock)
        conn.sock.close()

    def _send_one(self, conn: _Conn) -> None:
        data = _PREFIX[conn.sent : conn.sent + 1] if conn.sent < len(_PREFIX) else b"a"
        try:
            conn.sock.send(data)
            conn.sent += 1
        except OSError:
            self._closed_by_server(conn)

    def _closed_by_server(self, conn: _Conn) -> None:
        self.stats.closed_by_server += 1
        if conn.answer:
            words = conn.answer.split(b" ", 2)
            self.stats.answers[words[1].decode(errors="replace") if len(words) > 1 else "?"] += 1
        self._drop(conn)

    def _read(self, conn: _Conn) -> None:
        try:
            data = conn.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:
            conn.answer += data
        else:
            self._closed_by_server(conn)

    def _run(self) -> None:
        next_tick = time.monotonic() + self.interval
        while not self._stop.is_set():
            timeout = max(0.0, min(next_tick - time.monotonic(), 0.2))
            for key, _ in self._selector.select(timeout) if self._conns else []:
                self._read(key.data)
            if not self._conns:
                self._stop.wait(timeout)
            if time.monotonic() >= next_tick:
                next_tick += self.interval
                for conn in list(self._conns.values()):
                    self._send_one(conn)
                for _ in range(self.connections - len(self._conns)):
                    self._open()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args(argv)
    with SlowClients(args.host, args.port, args.connections) as slow:
        time.sleep(args.seconds)
        print(f"open at the end: {slow.open_now}; {slow.stats}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
