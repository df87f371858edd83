"""A run started over HTTP deploys a new version while predictions keep flowing, and
rollbacks switch versions back and forth: no request fails, every answer is one row."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from api_fronts import PREDICTION_BODY as BODY
from api_fronts import HttpFront, make_api_home, sqlite_log

from devtools.launch import running_proxy
from tests.conftest import run_cli


@pytest.mark.slow
def test_training_over_http_deploys_without_a_failed_request(
    tmp_path: Path, trained_home: Path, sample_dir: Path
) -> None:
    api = make_api_home(tmp_path / "home", trained_home, sample_dir)
    headers = {"API-key": api.key, "Content-Type": "application/json"}
    with running_proxy(api.home, workers=2) as server:
        front = HttpFront(server.host, server.port, "local", api.key, sqlite_log(api.home))
        before = front.request("GET", "/ping").json()["model_version"]
        answers: list[Any] = []
        stop = threading.Event()

        def predict_until_stopped() -> None:
            while not stop.is_set():
                answers.append(front.request("POST", "/get_prediction", BODY, headers))

        clients = [threading.Thread(target=predict_until_stopped) for _ in range(4)]
        for client in clients:
            client.start()
        try:
            # GIVEN traffic; WHEN a run starts with file:// URIs
            paths = {
                "TrainingDataS3Path": (api.home / "sample" / "train.csv").as_uri(),
                "ValidationDataS3Path": (api.home / "sample" / "test.csv").as_uri(),
            }
            started = front.request("POST", "/start_training", json.dumps(paths).encode(), headers)
            assert started.status == 200, started.raw
            run_id = started.json()["execution_id"]
            state: dict[str, Any] = {}
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                state = front.request("GET", f"/training/{run_id}", headers=headers).json()
                if state["status"] in ("accepted", "rejected", "failed"):
                    break
                time.sleep(0.2)
            # AND deploys back and forth by rollback, under the same traffic
            if state.get("status") == "accepted":
                for version in (before, state["model_version"], before, state["model_version"]):
                    run_cli(api.home, "rollback", version)
            time.sleep(0.5)  # a little traffic after the last switch too
        finally:
            stop.set()
            for client in clients:
                client.join()
        # THEN the run was accepted and deployed, and every request in between succeeded
        assert state["status"] == "accepted", state
        new_version = state["model_version"]
        assert new_version and new_version != before
        assert [a.status for a in answers if a.status != 200] == []
        versions = [a.json()["model_version"] for a in answers]
        assert versions[0] == before and versions[-1] == new_version
        after = front.request("POST", "/get_prediction", BODY, headers).json()
        assert after["model_version"] == new_version
    # AND every answered prediction is exactly one row, and no row is unanswered
    ids = [a.json()["prediction_id"] for a in answers] + [after["prediction_id"]]
    logged = list(front.logged())
    assert len(answers) > 20
    assert len(logged) == len(ids) and set(logged) == set(ids)
