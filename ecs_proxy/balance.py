"""How many connections each worker serves, in memory the workers share.

All workers wait on one listening socket and all wake for a new connection; the same
one tends to win every race, so an idle server's first connections (wrk's 8, or an
ALB's) all landed on one worker while the other idled. With this table a worker that
serves more connections than another lets the next one go, for a few milliseconds.
Connections stuck in a slow head do not count: 200 slow clients split unevenly would
otherwise send every real client to the worker holding fewer of them.
"""

from __future__ import annotations

import mmap
import os

_SLOTS = 64  # more than any worker count; a slot is age % _SLOTS
_FIELDS = 2  # pid, connections served


class ConnectionTable:
    """Made in the arbiter before the workers fork; each worker writes its own slot."""

    def __init__(self) -> None:
        # Anonymous and shared: every process forked after this sees the same memory.
        self._memory = mmap.mmap(-1, _SLOTS * _FIELDS * 8)
        self._cells = memoryview(self._memory).cast("q")
        self._slot = -1

    def claim(self, age: int) -> None:
        self._slot = age % _SLOTS
        self._cells[self._slot * _FIELDS] = os.getpid()
        self.report(0)

    def release(self) -> None:
        if self._slot >= 0:
            self._cells[self._slot * _FIELDS] = 0

    def report(self, connections: int) -> None:
        self._cells[self._slot * _FIELDS + 1] = connections

    def fewest_elsewhere(self) -> int | None:
        """The fewest connections any other live worker holds, None if there is none."""
        fewest = None
        for slot in range(_SLOTS):
            pid = self._cells[slot * _FIELDS]
            if pid == 0 or slot == self._slot or not _alive(pid):
                continue
            count = self._cells[slot * _FIELDS + 1]
            fewest = count if fewest is None else min(fewest, count)
        return fewest


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
