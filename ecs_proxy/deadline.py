"""One connection's deadline, for whichever phase it is in, on a lazily re-armed timer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class Deadline:
    """Calls `on_expiry(phase)` once the current phase's deadline passes.

    A connection moves through phases (waiting for a head, for a body, idle between
    requests) several times per request. Moving the deadline is two assignments; the
    loop's timer is only replaced when the new deadline comes before it, and a timer
    that fires early re-arms itself for the rest. A request that arrives whole and is
    answered at once costs no timer operation at all.
    """

    def __init__(self, on_expiry: Callable[[str], None]) -> None:
        self._on_expiry = on_expiry
        self._loop = asyncio.get_running_loop()
        self._timer: asyncio.TimerHandle | None = None
        self.phase = ""
        self._until = 0.0

    def now(self) -> float:
        return self._loop.time()

    def set(self, phase: str, until: float) -> None:
        self.phase, self._until = phase, until
        if self._timer is not None and self._timer.when() <= until:
            return
        self.cancel()
        self._timer = self._loop.call_at(until, self._fire)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _fire(self) -> None:
        self._timer = None
        if self._loop.time() < self._until:
            self._timer = self._loop.call_at(self._until, self._fire)
        else:
            self._on_expiry(self.phase)
