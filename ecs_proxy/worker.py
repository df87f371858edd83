"""A gunicorn worker that reads HTTP on an asyncio loop and runs the app serially.

gunicorn keeps what it is good at (one process per core, restarting a dead or stuck
worker, graceful stops); the worker replaces the sync worker's blocking reads, which
let two slow clients hold both processes (see ecs_proxy.connection).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket

from gunicorn.workers.base import Worker

from ecs_proxy.connection import HttpConnection
from ecs_proxy.limits import ServerLimits, load_limits

# How often the worker tells the arbiter it is alive and checks it should go on.
_HEARTBEAT_SECONDS = 1.0


class _Connections:
    """The worker's open connections, at most `limit` of them."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open: set[HttpConnection] = set()

    def add(self, conn: HttpConnection) -> bool:
        if len(self.open) >= self.limit:
            return False
        self.open.add(conn)
        return True

    def discard(self, conn: HttpConnection) -> None:
        self.open.discard(conn)


class EventLoopWorker(Worker):  # type: ignore[misc]
    def init_process(self) -> None:
        self.limits: ServerLimits = load_limits()
        self.connections = _Connections(self.limits.max_connections)
        self._connecting: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        super().init_process()

    def init_signals(self) -> None:
        super().init_signals()
        # The loop must wake up to stop: handled on the loop, not between bytecodes.
        self.loop.add_signal_handler(signal.SIGTERM, self._stop)
        self.loop.add_signal_handler(signal.SIGINT, self._stop)
        self.loop.add_signal_handler(signal.SIGQUIT, self._stop)

    def _stop(self) -> None:
        self.alive = False
        self._stopping.set()

    def run(self) -> None:
        try:
            self.loop.run_until_complete(self._serve())
        finally:
            self.loop.close()

    async def _serve(self) -> None:
        for listener in self.sockets:
            listener.sock.setblocking(False)
            self.loop.add_reader(listener.sock, self._accept, listener.sock)
        while self.alive and self.ppid == os.getppid():
            self.notify()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), _HEARTBEAT_SECONDS)
        for listener in self.sockets:
            self.loop.remove_reader(listener.sock)
        await self._drain()

    def _accept(self, listener: socket.socket) -> None:
        # One connection per wake-up, where asyncio's server takes up to its backlog at
        # once: a burst of new connections then spreads over the workers instead of
        # landing on whichever woke first, and a worker busy in the app takes none.
        try:
            sock, _ = listener.accept()
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            return  # another worker took it
        except OSError as exc:
            # Out of file descriptors: the socket stays readable, so pause accepting a
            # moment instead of spinning, and keep serving the connections already open.
            self.log.warning("accept failed, pausing 0.1 s: %s", exc)
            self.loop.remove_reader(listener)
            self.loop.call_later(0.1, self.loop.add_reader, listener, self._accept, listener)
            return
        task = self.loop.create_task(self._connect(sock))
        self._connecting.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._connecting.discard)

    async def _connect(self, sock: socket.socket) -> None:
        def protocol() -> HttpConnection:
            return HttpConnection(self.wsgi, self.limits, self.connections)

        try:
            await self.loop.connect_accepted_socket(protocol, sock)
        except OSError:
            sock.close()

    async def _drain(self) -> None:
        """Let requests under way finish, up to gunicorn's graceful timeout."""
        for conn in list(self.connections.open):
            conn.stop()
        deadline = self.loop.time() + float(self.cfg.graceful_timeout)
        while self.connections.open and self.loop.time() < deadline:
            self.notify()
            await asyncio.sleep(0.05)
