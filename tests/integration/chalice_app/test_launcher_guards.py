"""The local launcher's guards on real files and processes: the data area, the run limit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from chalice_app.errors import TrainingBusyError, TrainingInputError
from chalice_app.local.data_area import OUTSIDE, data_file
from chalice_app.local.training import LocalTrainingLauncher
from training_pipeline.run_log import RunLog


@pytest.fixture
def area(tmp_path: Path) -> Path:
    data = tmp_path / "home" / "data"
    data.mkdir(parents=True)
    (data / "train.csv").write_text("x\n")
    (tmp_path / "home" / "api-keys.json").write_text('{"k": "secret"}')
    (data / "keys.csv").symlink_to(tmp_path / "home" / "api-keys.json")
    (data / "loop.csv").symlink_to(data / "loop.csv")
    return data


def test_a_name_too_long_for_the_filesystem_is_no_such_file(area: Path) -> None:
    # Found by the fuzzer: is_file() raised ENAMETOOLONG, a 500.
    with pytest.raises(TrainingInputError, match="no such file"):
        data_file("0" * 2048, "train", [area])


def test_files_inside_the_area_are_accepted_by_path_uri_or_name(area: Path) -> None:
    inside = area / "train.csv"
    for given in (
        str(inside),
        inside.as_uri(),
        "train.csv",
        str(area / "sub" / ".." / "train.csv"),
    ):
        assert data_file(given, "train", [area]) == inside


@pytest.mark.parametrize(
    "given",
    [
        "/etc/shadow",
        "/proc/self/environ",
        "/no/such/file.csv",
        "keys.csv",  # a link inside the area to the key file outside it
        "../api-keys.json",
        "loop.csv",
        "file:///etc/passwd",
        "bad\x00name.csv",
        "/" + "a" * 5000,
    ],
)
def test_anything_outside_the_area_gets_one_answer(area: Path, given: str) -> None:
    with pytest.raises(TrainingInputError) as caught:
        data_file(given, "train", [area])
    # The same words for a file that exists and one that does not.
    assert caught.value.problem == OUTSIDE


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_run_whose_process_is_gone_frees_its_slot(tmp_path: Path, sample_dir: Path) -> None:
    # GIVEN a run recorded as running whose process died with its server (kill -9)
    runs = RunLog(tmp_path)
    runs.claim("run-killed", "t.csv", "v.csv", pid=_dead_pid())
    runs.update("run-killed", status="running")
    # A stand-in for a long run: its command line is the launcher's, its work a sleep.
    slow_python = tmp_path / "slow-python"
    slow_python.write_text("#!/bin/sh\nsleep 60\n")
    slow_python.chmod(0o755)
    launcher = LocalTrainingLauncher(
        tmp_path, str(sample_dir / "train.csv"), str(sample_dir / "test.csv"), str(slow_python)
    )
    # WHEN a run is asked for, THEN it starts, and the dead one is marked failed
    started = launcher.start(None, None)
    killed = runs.get("run-killed")
    assert killed is not None and killed.status == "failed"
    assert killed.reason and "gone" in killed.reason
    # AND the new one, alive, holds the only slot
    record = runs.get(started.execution_id)
    assert record is not None and record.pid
    with pytest.raises(TrainingBusyError) as caught:
        launcher.start(None, None)
    assert caught.value.running == [started.execution_id]
    os.killpg(record.pid, signal.SIGKILL)  # the run's own session: the shell and its sleep
