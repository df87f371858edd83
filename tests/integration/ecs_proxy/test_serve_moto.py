"""`make run-moto`: the AWS backend on moto, the printed curl works as printed, and
nothing is left running after SIGTERM."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from ecs_proxy.launch import free_port, running_proxy


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl to run the printed command")
def test_run_moto_serves_predictions_and_stops_everything(
    tmp_path: Path, trained_home: Path
) -> None:
    home = tmp_path / "pvp"
    shutil.copytree(trained_home, home)  # a deployed model: no training needed
    moto_port = free_port()
    env = {"MOTO_PORT": str(moto_port), "HOME": str(tmp_path)}
    with running_proxy(
        home, workers=1, env=env, timeout=60, module="ecs_proxy.serve_moto"
    ) as server:
        text = server.log_path.read_text()
        assert re.search(r"your API key \(shown once\): \S+", text), text
        (command,) = [line.strip() for line in text.splitlines() if "curl -s" in line]
        ran = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=30)
        answer = json.loads(ran.stdout)
        assert answer["model_version"] == "v0001" and answer["value"] > 0
        assert _listening(moto_port)
        # The prediction went to DynamoDB on moto, through the AWS backend.
        assert '"predictions":[1.0]' in server.log_path.read_text()
    assert server.process.returncode == 0
    assert not _listening(moto_port)
