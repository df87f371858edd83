"""`make run` on a fresh machine: sample, train, deploy, key, then a working API."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ecs_proxy.launch import REPO_ROOT, free_port


@pytest.mark.slow
def test_fresh_home_ends_with_a_working_api(tmp_path: Path) -> None:
    home, port = tmp_path / "pvp", free_port()
    env = dict(
        os.environ,
        PVP_HOME=str(home),
        PORT=str(port),
        PVP_WORKERS="1",
        OMP_NUM_THREADS="1",
        HOME=str(tmp_path),
    )
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "ecs_proxy.serve_local"],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while b"Booting worker" not in log.read_bytes():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        text = log.read_text()
        key = re.search(r"your API key \(shown once\): (\S+)", text)
        assert key, text
        assert "curl" in text and str(home / "api-keys.json") in text
        assert stat.S_IMODE((home / "api-keys.json").stat().st_mode) == 0o600
        body = {
            "Type": "casa",
            "Sector": "La Reina",
            "NetUsableArea": 150,
            "NetArea": 300,
            "NRooms": 4,
            "NBathroom": 3,
            "Latitude": -33.45,
            "Longitude": -70.54,
        }
        for _ in range(100):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("POST", "/get_prediction", json.dumps(body), {"API-key": key.group(1)})
                response = conn.getresponse()
                break
            except ConnectionRefusedError:
                time.sleep(0.1)
        assert response.status == 200, response.read()
        assert json.loads(response.read())["value"] > 0
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
