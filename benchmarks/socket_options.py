"""Whether a running server set TCP_NODELAY on the connection it accepted from us.

Without it, a small answer written in two pieces waits for the client's delayed ACK
(~40 ms on Linux): the stall that stock `uvicorn --workers N` shows. Read on the
server's own socket: the connection's inode from /proc/net/tcp, the process holding it
from /proc/PID/fd, and a copy of that descriptor through pidfd_getfd (Linux 5.6+; needs
the right to trace the server, which its parent has unless ptrace is locked down).
"""

from __future__ import annotations

import ctypes
import os
import socket
from pathlib import Path

_PIDFD_GETFD = 438  # the same number on x86_64 and arm64


def _descendants(pid: int) -> list[int]:
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in task.read_text().split():
            found += _descendants(int(child))
    return found


def _server_side_inode(server_port: int, client_port: int) -> int | None:
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], int(fields[9])
            if (
                int(local.rsplit(":", 1)[1], 16) == server_port
                and int(remote.rsplit(":", 1)[1], 16) == client_port
            ):
                return inode
    return None


def _copy_descriptor(pid: int, inode: int) -> int | None:
    for link in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(link)
        except OSError:
            continue
        if target == f"socket:[{inode}]":
            pidfd = os.pidfd_open(pid)
            try:
                libc = ctypes.CDLL(None, use_errno=True)
                fd = int(libc.syscall(_PIDFD_GETFD, pidfd, int(link.name), 0))
                return fd if fd >= 0 else None
            finally:
                os.close(pidfd)
    return None


def server_nodelay(root_pid: int, server_port: int, client: socket.socket) -> bool | None:
    """TCP_NODELAY on the server's end of `client`'s connection; None if unreadable."""
    inode = _server_side_inode(server_port, client.getsockname()[1])
    if inode is None:
        return None
    for pid in _descendants(root_pid):
        try:
            fd = _copy_descriptor(pid, inode)
        except OSError:
            continue
        if fd is not None:
            with socket.socket(fileno=fd) as copy:
                return bool(copy.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
    return None


def check_nodelay(root_pid: int, host: str, port: int) -> bool | None:
    """Open a keep-alive connection, have it answered once, read the server's flag."""
    with socket.create_connection((host, port), timeout=5) as client:
        client.sendall(b"GET /ping HTTP/1.1\r\nHost: bench\r\n\r\n")
        client.recv(65536)
        return server_nodelay(root_pid, port, client)
