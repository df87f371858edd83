"""`make run-moto`: the AWS backend on moto, the printed curl works as printed, and
nothing is left running after SIGTERM."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from devtools.launch import RunningServer, free_port, running_proxy
from tests.conftest import run_cli
from tests.http_json import request_json


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl to run the printed command")
def test_run_moto_serves_predictions_and_stops_everything(tmp_path: Path, sample_dir: Path) -> None:
    home = tmp_path / "pvp"
    # A deployed champion that saw only 200 rows: a run on the stage's whole sample must
    # beat it by a margin (~12% MAE here), not by the luck of a close call.
    small = tmp_path / "small-train.csv"
    small.write_text("\n".join((sample_dir / "train.csv").read_text().splitlines()[:201]) + "\n")
    run_cli(home, "run", "--train", str(small), "--validation", str(sample_dir / "test.csv"))
    moto_port = free_port()
    env = {"MOTO_PORT": str(moto_port), "HOME": str(tmp_path)}
    with running_proxy(
        home, workers=1, env=env, timeout=60, module="devtools.serve_moto"
    ) as server:
        text = server.log_path.read_text()
        assert re.search(r"your API key \(shown once\): \S+", text), text
        (command,) = [line.strip() for line in text.splitlines() if "curl -s" in line]
        ran = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=30)
        answer = json.loads(ran.stdout)
        assert answer["model_version"] == "v0001" and answer["value"] > 0
        assert _listening(moto_port)
        # The prediction was counted: the server writes its metrics once a second.
        log = _until(server.log_path.read_text, lambda text: '"predictions":[1.0]' in text)
        assert '"predictions":[1.0]' in log

        # WHEN a run starts through the API THEN the stand-in pipeline plays it to the end
        found = re.search(r"your API key \(shown once\): (\S+)", text)
        assert found is not None
        key = found.group(1)
        status_path = f"/training/{_call(server, 'POST', '/start_training', key)['execution_id']}"
        # (moto ends executions at once: the run is final once the stand-in recorded a step)
        _until(lambda: _call(server, "GET", status_path, key), lambda run: bool(run["step"]))
        run = _until(
            lambda: _call(server, "GET", status_path, key),
            lambda run: run["status"] in ("accepted", "rejected", "failed"),
        )
        # The stage's sample has more rows than the champion saw: better, so the next version
        assert (run["status"], run["step"], run["model_version"]) == (
            "accepted",
            "record",
            "v0002",
        ), run["gate"]
        assert run["gate"]["champion_version"] == "v0001" and run["metrics"]["mae"] > 0
        assert run["train_path"].startswith("s3://") and run["finished_at"]
        # AND the endpoint serves it: the deploy callback updated it, the model server followed
        answer = _until(
            lambda: json.loads(_run(command)), lambda a: a.get("model_version") == "v0002"
        )
        assert answer["value"] > 0
    assert server.process.returncode == 0
    assert not _listening(moto_port)


def _run(command: str) -> str:
    return subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, timeout=30
    ).stdout


def _call(server: RunningServer, method: str, path: str, key: str) -> dict[str, Any]:
    body: dict[str, Any] = request_json(server, method, path, headers={"API-key": key})[1]
    return body


def _until(read: Callable[[], Any], done: Callable[[Any], bool]) -> Any:
    deadline = time.monotonic() + 180  # a training run on a shared 2-core machine
    while True:
        value = read()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.5)
