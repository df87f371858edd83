"""The real gunicorn server: where it listens, what it leaves behind, body limits."""

from __future__ import annotations

from pathlib import Path

import pytest
from raw_http import raw_request

from benchmarks.socket_options import check_nodelay
from contract.environment import server_body_limit
from devtools.launch import RunningServer, running_proxy


def _listening_addresses(port: int) -> set[str]:
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.rsplit(":", 1)
            if state == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def _raw_request(server: RunningServer, data: bytes) -> tuple[int, dict[str, str]]:
    answer = raw_request(server.host, server.port, data)
    return answer.status, answer.json()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> RunningServer:  # type: ignore[misc]
    home = tmp_path_factory.mktemp("proxy-home")
    fake_home = tmp_path_factory.mktemp("user-home")
    # HOME is where gunicorn would put its control socket.
    with running_proxy(home, env={"HOME": str(fake_home)}) as running:
        running.process.fake_home = fake_home  # type: ignore[attr-defined]
        yield running


def test_listens_on_loopback_only_even_with_port_set(server: RunningServer) -> None:
    assert _listening_addresses(server.port) == {"0100007F"}  # 127.0.0.1, little-endian


def test_leaves_no_control_socket(server: RunningServer) -> None:
    fake_home: Path = server.process.fake_home  # type: ignore[attr-defined]
    assert list(fake_home.iterdir()) == []


def test_answers_leave_without_waiting_for_a_delayed_ack(server: RunningServer) -> None:
    # Without TCP_NODELAY on the server's socket a small answer waits ~40 ms for the
    # client's delayed ACK (stock `uvicorn --workers N`'s shared socket).
    nodelay = check_nodelay(server.process.pid, server.host, server.port)
    if nodelay is None:
        pytest.skip("cannot read the server's socket here (ptrace is locked down)")
    assert nodelay is True


def test_ping_without_a_model_is_503(server: RunningServer) -> None:
    status, body = _raw_request(
        server, b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert status == 503 and "error" in body


def test_declared_oversized_body_is_refused_without_reading_it(server: RunningServer) -> None:
    head = b"POST /get_prediction HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n\r\n"
    status, body = _raw_request(server, head)
    assert status == 413 and "error" in body


def test_chunked_oversized_body_is_refused(server: RunningServer) -> None:
    # Over what the server admits: the largest body any route takes (the batch route's)
    chunk = b"x" * (server_body_limit({}) + 1)
    data = (
        b"POST /get_prediction HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        + f"{len(chunk):x}\r\n".encode()
        + chunk
        + b"\r\n0\r\n\r\n"
    )
    status, body = _raw_request(server, data)
    assert status == 413 and "error" in body


def test_explicit_bind_host_is_used(tmp_path: Path) -> None:
    with running_proxy(tmp_path, workers=1, env={"PVP_BIND_HOST": "127.0.0.2"}) as running:
        assert _listening_addresses(running.port) == {"0200007F"}
