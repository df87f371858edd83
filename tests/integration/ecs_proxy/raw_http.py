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
    """Send `data`, read until the server closes, parse the one answer."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(data)
        return parse_answer(read_until_closed(sock))


def read_until_closed(sock: socket.socket) -> bytes:
    reply = b""
    while chunk := sock.recv(65536):
        reply += chunk
    return reply
