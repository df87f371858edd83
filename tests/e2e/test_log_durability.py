"""An answered prediction is in the log even when the server dies right after answering."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

from api_fronts import PREDICTION_BODY as BODY
from api_fronts import HttpFront, make_api_home, sqlite_log

from devtools.launch import running_proxy


def _process_tree(pid: int) -> list[int]:
    """The gunicorn arbiter and its workers (Linux /proc)."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        found += [child for text in children for child in _process_tree(int(text))]
    return found


def test_answers_survive_kill_9_right_after_answering(
    tmp_path: Path, trained_home: Path, sample_dir: Path
) -> None:
    api = make_api_home(tmp_path / "home", trained_home, sample_dir)
    headers = {"API-key": api.key, "Content-Type": "application/json"}
    answered: list[str] = []
    with running_proxy(api.home) as server:
        front = HttpFront(server.host, server.port, "local", api.key, sqlite_log(api.home))
        pids = _process_tree(server.process.pid)
        assert len(pids) == 3  # arbiter and two workers

        def predict(count: int) -> None:
            for _ in range(count):
                answer = front.request("POST", "/get_prediction", BODY, headers)
                assert answer.status == 200, answer.raw
                answered.append(answer.json()["prediction_id"])

        # GIVEN predictions answered by both workers at once
        clients = [threading.Thread(target=predict, args=(25,)) for _ in range(4)]
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        # WHEN every process is killed, with no chance to flush or close anything
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        server.process.wait(10)
    # THEN every answered prediction is a row (the next opener recovers the WAL)
    logged = set(front.logged())
    assert len(answered) == 100
    assert logged == set(answered)
