"""Raw HTTP over a socket: what a hostile or broken client sends, and what comes back."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RawAnswer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def parse_answer(reply: bytes) -> RawAnswer:
    head, _, body = reply.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return RawAnswer(int(lines[0].split()[1]), headers, body)


def raw_request(host: str, port: int, data: bytes, timeout: float = 10) -> RawAnswer:
    """Send `data`, read one whole answer (or until the server closes), parse it."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(data)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
            if _complete(reply):
                break
        return parse_answer(reply)


def _complete(reply: bytes) -> bool:
    head, found, body = reply.partition(b"\r\n\r\n")
    if not found:
        return False
    length = parse_answer(head + b"\r\n\r\n").headers.get("content-length")
    return length is not None and len(body) >= int(length)


def read_until_closed(sock: socket.socket) -> bytes:
    reply = b""
    while chunk := sock.recv(65536):
        reply += chunk
    return reply


def split_answers(reply: bytes) -> list[RawAnswer]:
    """Every whole answer in `reply`, in order (each framed by its Content-Length)."""
    answers = []
    while b"\r\n\r\n" in reply:
        head, _, rest = reply.partition(b"\r\n\r\n")
        answer = parse_answer(head + b"\r\n\r\n")
        length = int(answer.headers.get("content-length", "0"))
        answers.append(RawAnswer(answer.status, answer.headers, rest[:length]))
        reply = rest[length:]
    return answers


def exchange(host: str, port: int, data: bytes, wait: float = 5) -> tuple[list[RawAnswer], bool]:
    """Send `data` (one or more requests), read for up to `wait` seconds: the answers,
    and whether the server closed the connection."""
    with socket.create_connection((host, port), timeout=wait) as sock:
        sock.sendall(data)
        reply, closed = b"", False
        try:
            while chunk := sock.recv(65536):
                reply += chunk
            closed = True
        except TimeoutError:
            pass
        except ConnectionResetError:
            closed = True
        return split_answers(reply), closed
