"""/start_training's guards over the fronts: the data area, and one run at a time."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from api_fronts import Answer, ApiHome, Front, make_api_home, open_local_front


def _auth(api: ApiHome) -> dict[str, str]:
    return {"API-key": api.key, "Content-Type": "application/json"}


def _start(front: Front, api: ApiHome, **paths: str) -> Answer:
    return front.request("POST", "/start_training", json.dumps(paths).encode(), _auth(api))


def _run_ids(api: ApiHome) -> list[str]:
    with sqlite3.connect(api.home / "registry.sqlite") as db:
        return [row[0] for row in db.execute("SELECT run_id FROM runs ORDER BY started_at")]


def test_paths_outside_the_data_area_are_refused_alike(
    local_front: Front, api_home: ApiHome
) -> None:
    front = local_front
    data = api_home.home / "data"
    data.mkdir(exist_ok=True)
    link = data / "keys.csv"
    if not link.is_symlink():
        link.symlink_to(api_home.home / "api-keys.json")
    before = _run_ids(api_home)
    answers = [
        _start(front, api_home, TrainingDataS3Path=given)
        for given in ("/etc/shadow", "/proc/self/environ", str(link), "/no/such/file.csv")
    ]
    answers.append(_start(front, api_home, ValidationDataS3Path="file:///etc/shadow"))
    for answer in answers:
        assert answer.status == 422, answer.raw
        body = answer.json()
        assert body["result"] == "FAILURE"
        assert set(body["fields"].values()) == {
            "must name a CSV file inside the training data area"
        }
        assert api_home.key not in answer.raw.decode() and "root:" not in answer.raw.decode()
    # One answer for an existing file and a missing one: they cannot be told apart.
    assert answers[0].raw == answers[3].raw
    assert _run_ids(api_home) == before  # nothing started


@pytest.mark.slow
def test_thirty_concurrent_starts_over_two_workers_start_one_run(
    tmp_path: Path, trained_home: Path, sample_dir: Path
) -> None:
    api = make_api_home(tmp_path / "home", trained_home, sample_dir)
    before = _run_ids(api)
    with open_local_front("proxy", api) as front:  # 2 workers, the default
        # GIVEN 30 clients asking for a training run at the same moment
        gate, answers = threading.Barrier(30), []

        def ask() -> None:
            gate.wait()
            answers.append(_start(front, api))

        clients = [threading.Thread(target=ask) for _ in range(30)]
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        # THEN one run started, and every other answer is 409 naming it
        (started,) = [a.json() for a in answers if a.status == 200]
        run_id = started["execution_id"]
        refused = [a for a in answers if a.status != 200]
        assert len(refused) == 29 and {a.status for a in refused} == {409}
        for answer in refused:
            body = answer.json()
            assert body["running"] == [run_id] and run_id in body["error"]
            assert body["result"] == "FAILURE"
        assert _run_ids(api) == [*before, run_id]
        # AND when it ends, the next start is accepted
        state: dict[str, Any] = {}
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            state = front.request("GET", f"/training/{run_id}", headers=_auth(api)).json()
            if state["status"] not in ("pending", "running"):
                break
            time.sleep(0.2)
        assert state["status"] in ("accepted", "rejected"), state
        assert "pid" not in state
        assert state["artifacts_dir"] == f"$PVP_HOME/runs/{run_id}"
        assert str(api.home) not in json.dumps(state)
        (api.home / "data").mkdir()
        (api.home / "data" / "tiny.csv").write_text("type\ncasa\n")  # fails fast at validation
        again = _start(front, api, TrainingDataS3Path="tiny.csv", ValidationDataS3Path="tiny.csv")
        assert again.status == 200, again.raw
