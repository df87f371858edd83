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
from typing import Any

from gunicorn.workers.base import Worker

from chalice_app import observability
from ecs_proxy.balance import ConnectionTable
from ecs_proxy.connection import HttpConnection
from ecs_proxy.limits import ServerLimits, load_limits

# How often the worker tells the arbiter it is alive and checks it should go on.
_HEARTBEAT_SECONDS = 1.0
# A worker holding more connections than another leaves a new one to it: it looks
# again after a millisecond, and takes it anyway after 20 ms.
_ACCEPT_PAUSE_SECONDS = 0.001
_MAX_DEFER_SECONDS = 0.02


class _Connections:
    """The worker's open connections, at most `limit` of them; those not stuck in a slow
    head are its load, published in the table."""

    def __init__(self, limit: int, table: ConnectionTable) -> None:
        self.limit, self.table = limit, table
        self.open: set[HttpConnection] = set()
        self.slow_count = 0

    @property
    def load(self) -> int:
        return len(self.open) - self.slow_count

    def add(self, conn: HttpConnection) -> bool:
        if len(self.open) >= self.limit:
            return False
        self.open.add(conn)
        self.table.report(self.load)
        return True

    def discard(self, conn: HttpConnection) -> None:
        if conn in self.open:
            self.open.discard(conn)
            if conn.is_slow:
                self.slow_count -= 1
            self.table.report(self.load)

    def slow(self, conn: HttpConnection, is_slow: bool) -> None:
        if conn in self.open:
            self.slow_count += 1 if is_slow else -1
            self.table.report(self.load)


class EventLoopWorker(Worker):  # type: ignore[misc]
    table: ConnectionTable

    @classmethod
    def check_config(cls, cfg: Any, log: Any) -> None:
        # gunicorn calls this in the arbiter, before any worker forks.
        cls.table = ConnectionTable()

    def init_process(self) -> None:
        self.limits: ServerLimits = load_limits()
        self.table.claim(self.age)
        self.connections = _Connections(self.limits.max_connections, self.table)
        self._deferring_since: float | None = None
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
            self.table.release()
            self.loop.close()

    async def _serve(self) -> None:
        for listener in self.sockets:
            listener.sock.setblocking(False)
            self.loop.add_reader(listener.sock, self._accept, listener.sock)
        while self.alive and self.ppid == os.getppid():
            self.notify()
            observability.end_request()  # a quiet second still writes what it counted
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), _HEARTBEAT_SECONDS)
        for listener in self.sockets:
            self.loop.remove_reader(listener.sock)
        await self._drain()

    def _accept(self, listener: socket.socket) -> None:
        if self._leave_to_another(listener):
            return
        try:
            sock, _ = listener.accept()
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            return  # another worker took it
        except OSError as exc:
            # Out of file descriptors: the socket stays readable, so pause accepting a
            # moment instead of spinning, and keep serving the connections already open.
            self.log.warning("accept failed, pausing 0.1 s: %s", exc)
            self._pause_accepting(listener, 0.1)
            return
        task = self.loop.create_task(self._connect(sock))
        self._connecting.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._connecting.discard)

    def _leave_to_another(self, listener: socket.socket) -> bool:
        """Whether a worker with fewer connections should take this one (see balance)."""
        fewest = self.table.fewest_elsewhere()
        now = self.loop.time()
        if fewest is None or self.connections.load <= fewest:
            self._deferring_since = None
            return False
        if self._deferring_since is None:
            self._deferring_since = now
        if now - self._deferring_since > _MAX_DEFER_SECONDS:
            # The other worker is busy or not scheduled: take it rather than make it wait.
            self._deferring_since = None
            return False
        self._pause_accepting(listener, _ACCEPT_PAUSE_SECONDS)
        return True

    def _pause_accepting(self, listener: socket.socket, seconds: float) -> None:
        self.loop.remove_reader(listener)
        if self.alive:
            self.loop.call_later(seconds, self._resume_accepting, listener)

    def _resume_accepting(self, listener: socket.socket) -> None:
        if self.alive:
            self.loop.add_reader(listener, self._accept, listener)

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
