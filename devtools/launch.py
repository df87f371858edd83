"""Start the proxy as a subprocess on a free loopback port (tests and benchmarks)."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from contract.environment import BIND_HOST, HOME, PORT, WORKERS

REPO_ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class RunningServer:
    host: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"


def wait_until_up(server: RunningServer, timeout: float) -> None:
    """Poll until the server answers any HTTP request, or fail with its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.log_path.read_text()}")
        try:
            conn = http.client.HTTPConnection(server.host, server.port, timeout=2)
            conn.request("GET", "/ping")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server not up after {timeout}s:\n{server.log_path.read_text()}")


@contextmanager
def running_process(
    command: list[str],
    log_path: Path,
    *,
    host: str,
    port: int,
    env: Mapping[str, str],
    timeout: float,
    append_log: bool = False,
) -> Iterator[RunningServer]:
    """Run `command` from the repository (one OpenMP thread) until it answers HTTP."""
    full_env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO_ROOT), **env}
    with open(log_path, "ab" if append_log else "wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT
        )
    server = RunningServer(host, port, process, log_path)
    with stopped_at_exit(process):
        wait_until_up(server, timeout)
        yield server


@contextmanager
def running_proxy(
    home: Path,
    *,
    workers: int = 2,
    env: Mapping[str, str] | None = None,
    timeout: float = 30,
    module: str = "ecs_proxy",
) -> Iterator[RunningServer]:
    """Run `python -m <module>` (the proxy, or serve_local before it) until it answers."""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    full_env = {
        HOME.name: str(home),
        PORT.name: str(port),
        WORKERS.name: str(workers),
        **(env or {}),
    }
    host = BIND_HOST.read({**os.environ, **full_env})
    with running_process(
        [sys.executable, "-m", module],
        home / f"proxy-{port}.log",
        host=host,
        port=port,
        env=full_env,
        timeout=timeout,
    ) as server:
        yield server


@contextmanager
def stopped_at_exit(process: subprocess.Popen[bytes]) -> Iterator[None]:
    """SIGTERM the process when the block ends (SIGKILL if it will not go)."""
    try:
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
