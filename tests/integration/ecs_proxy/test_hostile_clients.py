"""Slow, stalled and malformed clients against the real server (gunicorn + event-loop
workers): nobody starves the others, and every refusal is the API's JSON error."""

from __future__ import annotations

import http.client
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from raw_http import RawAnswer, parse_answer, raw_request, read_until_closed

from benchmarks.slow_clients import SlowClients
from devtools.launch import RunningServer, running_proxy


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, trained_home: Path) -> Iterator[RunningServer]:
    """The proxy on its default settings, over a copy of a home with a deployed model."""
    home = tmp_path_factory.mktemp("hostile") / "home"
    shutil.copytree(trained_home, home)
    with running_proxy(home) as running:
        yield running


@pytest.fixture(scope="module")
def impatient(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """One worker with short deadlines and few connections, to reach them quickly."""
    env = {
        "PVP_HEADER_TIMEOUT_SECONDS": "0.5",
        "PVP_BODY_TIMEOUT_SECONDS": "0.5",
        "PVP_KEEPALIVE_SECONDS": "0.5",
        "PVP_MAX_CONNECTIONS": "3",
    }
    with running_proxy(tmp_path_factory.mktemp("impatient"), workers=1, env=env) as running:
        yield running


def _ping(server: RunningServer) -> tuple[int, float]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection(server.host, server.port, timeout=2)
    try:
        conn.request("GET", "/ping")
        response = conn.getresponse()
        assert response.getheader("Content-Type") == "application/json"
        assert response.read().startswith(b"{")
        return response.status, time.perf_counter() - started
    finally:
        conn.close()


def _send(server: RunningServer, data: bytes) -> RawAnswer:
    return raw_request(server.host, server.port, data)


def _assert_json_error(answer: RawAnswer, status: int) -> None:
    assert answer.status == status, answer
    assert answer.headers["content-type"] == "application/json"
    assert set(answer.json()) == {"error"}


def test_a_client_is_answered_while_200_slow_clients_hold_connections(
    server: RunningServer,
) -> None:
    # GIVEN 200 connections sending one header byte a second (2 workers: sync workers
    # were both held by the first two and every other client timed out)
    with SlowClients(server.host, server.port, connections=200) as slow:
        # WHEN a normal client pings, again and again
        answers = [_ping(server) for _ in range(20)]
        # THEN every ping is answered at once, while the slow ones are still connected
        assert slow.open_now == 200 and slow.stats.closed_by_server == 0
    assert [status for status, _ in answers] == [200] * 20
    assert max(seconds for _, seconds in answers) < 2


def test_stalled_head_gets_408_json(impatient: RunningServer) -> None:
    answer = _send(impatient, b"GET /ping HTTP/1.1\r\nHost: x\r\nX-Sl")
    _assert_json_error(answer, 408)


def test_stalled_body_gets_408_json(impatient: RunningServer) -> None:
    head = b"POST /get_prediction HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"
    _assert_json_error(_send(impatient, head), 408)


def test_idle_keep_alive_connection_is_closed(impatient: RunningServer) -> None:
    with socket.create_connection((impatient.host, impatient.port), timeout=5) as sock:
        sock.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        # One answer (503: this home has no model), then the server closes the idle line.
        assert parse_answer(read_until_closed(sock)).status == 503


def test_connections_beyond_the_limit_get_503_json(impatient: RunningServer) -> None:
    with SlowClients(impatient.host, impatient.port, connections=3):
        answer = _send(impatient, b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
    _assert_json_error(answer, 503)


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"GET /ping HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n", 431),
        (b"GET /" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"POST /get_prediction HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n", 400),
        (b"POST /get_prediction HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
        (b"GET /ping HTTP/1.1\r\nHost: x\r\nX-Nul: a\x00b\r\n\r\n", 400),
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET /ping HTTP/1.1\r\n\r\n", 400),  # no Host
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400),  # TLS to a plain port
        (b"POST /ping HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
    ],
    ids=[
        "headers-431",
        "uri-414",
        "length-word",
        "length-negative",
        "nul",
        "line",
        "host",
        "tls",
        "te",
    ],
)
def test_what_the_server_refuses_is_json(server: RunningServer, data: bytes, status: int) -> None:
    _assert_json_error(_send(server, data), status)


def test_head_gets_headers_and_no_body(server: RunningServer) -> None:
    answer = _send(server, b"HEAD /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.body == b""
    assert answer.headers["content-type"] == "application/json"
