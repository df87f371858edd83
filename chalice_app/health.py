"""What is degraded in this process right now, and why: /ping reports it.

A dependency that fails without failing the answer (the prediction log) is noted here,
so an operator sees the service is degraded while clients keep getting answers.
"""

from __future__ import annotations

import threading


class Health:
    def __init__(self) -> None:
        self._problems: dict[str, str] = {}
        self._lock = threading.Lock()

    def degrade(self, component: str, reason: str) -> None:
        with self._lock:
            self._problems[component] = reason

    def recover(self, component: str) -> None:
        if component in self._problems:  # the common case takes no lock
            with self._lock:
                self._problems.pop(component, None)

    def problems(self) -> dict[str, str]:
        with self._lock:
            return dict(self._problems)
