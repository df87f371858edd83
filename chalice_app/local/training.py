"""Training runs as background subprocesses of the training CLI; status from its RunLog."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from chalice_app.errors import TrainingInputError, TrainingUnavailableError
from chalice_app.ports import Execution

_RUN_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


def local_file(value: str, field: str) -> Path:
    """A plain path or a file:// URI that names an existing file."""
    from training_pipeline.locations import UnsupportedLocationError, as_local_path

    try:
        path = as_local_path(value)
    except UnsupportedLocationError as exc:
        raise TrainingInputError(field, str(exc)) from None
    if not path.is_file():
        raise TrainingInputError(field, f"no such file: {path}")
    return path.absolute()


def _code_root() -> str:
    # The subprocess must import the same training_pipeline as this process, whatever
    # its working directory; find_spec locates the package without importing it.
    spec = importlib.util.find_spec("training_pipeline")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("training_pipeline is not importable")
    return str(Path(next(iter(spec.submodule_search_locations))).parent)


class LocalTrainingLauncher:
    def __init__(self, home: Path, python: str = sys.executable) -> None:
        self._home = home
        self._python = python

    def start(self, train_path: str, validation_path: str) -> Execution:
        from training_pipeline.runs import RunLog, new_run_id

        train = local_file(train_path, "train")
        validation = local_file(validation_path, "validation")
        run_id = new_run_id()
        # The row exists before the process does, so a status query right after this
        # answers 'pending' instead of 404.
        runs = RunLog(self._home)
        runs.create(run_id, str(train), str(validation))
        try:
            self._spawn(run_id, train, validation)
        except OSError as exc:
            runs.update(run_id, status="failed", reason=f"could not start: {exc}")
            raise TrainingUnavailableError(f"could not start the training run: {exc}") from exc
        return Execution(execution_id=run_id, execution_arn=f"local:training:{run_id}")

    def _spawn(self, run_id: str, train: Path, validation: Path) -> None:
        logs = self._home / "run-logs"
        logs.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, PVP_HOME=str(self._home), OMP_NUM_THREADS="1")
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (_code_root(), env.get("PYTHONPATH", "")) if p
        )
        command = [self._python, "-m", "training_pipeline", "run", "--train", str(train)]
        command += ["--validation", str(validation), "--run-id", run_id, "--json"]
        with open(logs / f"{run_id}.log", "wb") as out:
            # A new session: the run outlives the request (and a recycled worker).
            process = subprocess.Popen(
                command,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=self._home,
            )
        # Reap it when it ends so no zombie is left behind while this worker lives.
        threading.Thread(
            target=self._reap, args=(process, run_id), name=f"reap-{run_id}", daemon=True
        ).start()

    def _reap(self, process: subprocess.Popen[bytes], run_id: str) -> None:
        from training_pipeline.runs import RunLog, utc_now

        code = process.wait()
        runs = RunLog(self._home)
        record = runs.get(run_id)
        # A run that died before recording its end (killed, import error) would stay
        # 'pending'/'running' forever; the CLI records its own failures otherwise.
        if code != 0 and record is not None and record.status in ("pending", "running"):
            reason = f"training process exited with code {code}; see run-logs/{run_id}.log"
            runs.update(run_id, status="failed", reason=reason, finished_at=utc_now())


class LocalRunStatus:
    def __init__(self, home: Path) -> None:
        self._home = home

    def get(self, execution_id: str) -> dict[str, Any] | None:
        if not _RUN_ID.match(execution_id):
            return None
        from training_pipeline.runs import RunLog

        record = RunLog(self._home).get(execution_id)
        return None if record is None else dict(record.as_dict())
