"""Request framing over a raw socket, against the real server: a request whose end two
parsers could place differently (RFC 9112 section 6) is refused before its body and its
connection closed, so a request hidden after it (the smuggling attempt) is never
answered. Valid pipelined requests are all answered, on one connection."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from raw_http import RawAnswer, exchange

from contract.environment import server_body_limit
from devtools.launch import RunningServer, running_proxy

# Would be answered (503: the home has no model) if the server read it as a request.
SMUGGLED = b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"
LIMIT = server_body_limit({})  # the proxy's default: the largest body any route takes


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    # A body deadline far beyond the read timeout: a refusal that waited for it would
    # not arrive in time.
    env = {"PVP_BODY_TIMEOUT_SECONDS": "60"}
    home: Path = tmp_path_factory.mktemp("framing")
    with running_proxy(home, workers=1, env=env) as running:
        yield running


def _post(*headers: bytes, version: bytes = b"1.1") -> bytes:
    return (
        b"POST /get_prediction HTTP/"
        + version
        + b"\r\nHost: x\r\n"
        + b"".join(header + b"\r\n" for header in headers)
        + b"\r\n"
    )


def _assert_refused_and_closed(
    answers: list[RawAnswer], closed: bool, status: int, words: str
) -> None:
    assert [answer.status for answer in answers] == [status], answers
    (answer,) = answers
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["connection"] == "close"
    assert words in answer.json()["error"]
    assert closed


@pytest.mark.parametrize(
    ("head", "body", "status", "words"),
    [
        (_post(b"Content-Length: 5", b"Transfer-Encoding: chunked"), b"0\r\n\r\n", 400, "both"),
        (_post(b"Transfer-Encoding: chunked", b"Content-Length: 5"), b"0\r\n\r\n", 400, "both"),
        (_post(b"Content-Length: 2", b"Content-Length: 2"), b"{}", 400, "more than one"),
        (_post(b"Content-Length: 2", b"Content-Length: 7"), b"{}", 400, "Content-Length"),
        (_post(b"Content-Length: 2, 2"), b"{}", 400, "invalid Content-Length"),
        (_post(b"Content-Length: +2"), b"{}", 400, "Content-Length"),
        (_post(b"Content-Length: ten"), b"", 400, "Content-Length"),
        (_post(b"Content-Length: -1"), b"", 400, "Content-Length"),
        (_post(b"Transfer-Encoding: gzip"), b"", 501, "Transfer-Encoding"),
        (_post(b"Transfer-Encoding: gzip, chunked"), b"0\r\n\r\n", 501, "Transfer-Encoding"),
        (_post(b"Transfer-Encoding: chunked, gzip"), b"0\r\n\r\n", 501, "Transfer-Encoding"),
        (
            _post(b"Transfer-Encoding: chunked", b"Transfer-Encoding: chunked"),
            b"0\r\n\r\n",
            501,
            "Transfer-Encoding",
        ),
        (
            _post(b"Transfer-Encoding: chunked", version=b"1.0"),
            b"0\r\n\r\n",
            400,
            "HTTP/1.0",
        ),
    ],
    ids=[
        "length-then-chunked",
        "chunked-then-length",
        "length-twice-equal",
        "length-twice-different",
        "length-list",
        "length-plus",
        "length-word",
        "length-negative",
        "coding-unknown",
        "coding-chunked-not-last",
        "coding-chunked-then-other",
        "coding-twice",
        "coding-in-http10",
    ],
)
def test_ambiguous_framing_is_refused_and_what_follows_is_never_answered(
    server: RunningServer, head: bytes, body: bytes, status: int, words: str
) -> None:
    # GIVEN a request with ambiguous framing, and a second request pipelined after it
    # WHEN both arrive on one connection
    answers, closed = exchange(server.host, server.port, head + body + SMUGGLED)
    # THEN one JSON refusal, the connection closed, the second request never answered
    _assert_refused_and_closed(answers, closed, status, words)


def test_a_chunk_announced_over_the_limit_is_refused_at_once(server: RunningServer) -> None:
    head = _post(b"Transfer-Encoding: chunked")
    size_line = f"{LIMIT + 1:x}\r\n".encode()
    answers, closed = exchange(server.host, server.port, head + size_line, wait=5)
    _assert_refused_and_closed(answers, closed, 413, "larger than")


def test_chunks_that_would_add_up_over_the_limit_are_refused_at_the_size_line(
    server: RunningServer,
) -> None:
    first = b"x" * (LIMIT - 100)
    data = (
        _post(b"Transfer-Encoding: chunked")
        + f"{len(first):x}\r\n".encode()
        + first
        + b"\r\n"
        + b"c8\r\n"  # 200 more bytes announced; none sent
    )
    answers, closed = exchange(server.host, server.port, data, wait=5)
    _assert_refused_and_closed(answers, closed, 413, "larger than")


def test_pipelined_requests_are_all_answered_in_order(server: RunningServer) -> None:
    # The control: clear framing, chunked and by length, keeps the connection serving.
    chunked = _post(b"Transfer-Encoding: chunked", b"Content-Type: application/json")
    by_length = _post(b"Content-Length: 2", b"Content-Type: application/json")
    data = chunked + b"2\r\n{}\r\n0\r\n\r\n" + by_length + b"{}" + SMUGGLED
    answers, closed = exchange(server.host, server.port, data, wait=2)
    # No key: both POSTs are refused by the app (401/403), the GET answered by /ping.
    assert len(answers) == 3, answers
    assert answers[0].status == answers[1].status and answers[0].status in (401, 403)
    assert answers[2].status == 503  # this home has no model
    assert all(set(answer.json()) >= {"error"} for answer in answers)
    assert not closed
