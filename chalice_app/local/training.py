"""Training runs as background subprocesses of the training CLI; status from its RunLog."""

from __future__ import annotations

import hashlib
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


def _run_id_for(idempotency_key: str | None) -> str:
    from training_pipeline.runs import new_run_id

    if idempotency_key is None:
        return new_run_id()
    # Same key, same run id: a retried request finds the run its first try started.
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
    return f"run-key-{digest}"


class LocalTrainingLauncher:
    def __init__(
        self,
        home: Path,
        default_train: str,
        default_validation: str,
        python: str = sys.executable,
    ) -> None:
        self._home = home
        self._defaults = (default_train, default_validation)
        self._python = python

    def start(
        self,
        train_path: str | None,
        validation_path: str | None,
        *,
        idempotency_key: str | None = None,
    ) -> Execution:
        from training_pipeline.runs import RunLog

        train = local_file(train_path or self._defaults[0], "train")
        validation = local_file(validation_path or self._defaults[1], "validation")
        run_id = _run_id_for(idempotency_key)
        execution = Execution(execution_id=run_id, execution_arn=f"local:training:{run_id}")
        # The row exists before the process does, so a status query right after this
        # answers 'pending' instead of 404; only the request that wrote it starts a run.
        runs = RunLog(self._home)
        if not runs.claim(run_id, str(train), str(validation)):
            return execution
        try:
            self._spawn(run_id, train, validation)
        except OSError as exc:
            runs.update(run_id, status="failed", reason=f"could not start: {exc}")
            raise TrainingUnavailableError(f"could not start the training run: {exc}") from exc
        return execution

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
