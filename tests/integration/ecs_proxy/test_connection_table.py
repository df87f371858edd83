"""Workers see each other's connection counts through the table made before they fork."""

from __future__ import annotations

import multiprocessing
import os
import signal
from typing import Any

from ecs_proxy.balance import ConnectionTable


def _hold(table: ConnectionTable, age: int, count: int, ready: Any) -> None:
    table.claim(age)
    table.report(count)
    ready.set()
    signal.pause()


def test_a_worker_sees_the_fewest_connections_of_the_live_others() -> None:
    table = ConnectionTable()
    table.claim(1)
    table.report(5)
    assert table.fewest_elsewhere() is None  # alone
    ctx = multiprocessing.get_context("fork")
    others = []
    for age, count in ((2, 3), (3, 7)):
        ready = ctx.Event()
        process = ctx.Process(target=_hold, args=(table, age, count, ready), daemon=True)
        process.start()
        assert ready.wait(10)
        others.append(process)
    try:
        assert table.fewest_elsewhere() == 3
        # A worker that died without cleaning up counts no more.
        os.kill(others[0].pid or 0, signal.SIGKILL)
        others[0].join(10)
        assert table.fewest_elsewhere() == 7
    finally:
        for process in others:
            process.kill()
            process.join(10)
