"""Training runs as background subprocesses of the training CLI, within the guards."""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from chalice_app.config import default_data_dirs
from chalice_app.errors import TrainingBusyError, TrainingInputError, TrainingUnavailableError
from chalice_app.local.data_area import data_file
from chalice_app.ports import Execution
from contract.environment import MAX_TRAINING_RUNS
from contract.vocabulary import utc_now

log = logging.getLogger(__name__)


def local_file(value: str, field: str) -> Path:
    """A plain path or a file:// URI that names an existing file."""
    from training_pipeline.locations import UnsupportedLocationError, as_local_path

    try:
        path = as_local_path(value)
    except UnsupportedLocationError as exc:
        raise TrainingInputError(field, str(exc)) from None
    if not path.is_file():
        raise TrainingInputError(field, "no such file")
    return path.absolute()


def _code_root() -> str:
    # The subprocess must import the same training_pipeline as this process, whatever
    # its working directory; find_spec locates the package without importing it.
    spec = importlib.util.find_spec("training_pipeline")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("training_pipeline is not importable")
    return str(Path(next(iter(spec.submodule_search_locations))).parent)


def _run_id_for(idempotency_key: str | None, client: str | None) -> str:
    from training_pipeline.run_log import new_run_id

    if idempotency_key is None:
        return new_run_id()
    # Same client and key, same run id: a retried request finds the run its first try
    # started; another client's same key is another request.
    seed = f"{client or ''}\n{idempotency_key}"
    digest = hashlib.sha256(seed.encode()).hexdigest()[:24]
    return f"run-key-{digest}"


class LocalTrainingLauncher:
    def __init__(
        self,
        home: Path,
        default_train: str,
        default_validation: str,
        python: str = sys.executable,
        *,
        data_dirs: Sequence[Path] | None = None,
        max_running: int = MAX_TRAINING_RUNS.default,
    ) -> None:
        self._home = home
        self._defaults = (default_train, default_validation)
        self._python = python
        self._data_dirs = tuple(data_dirs if data_dirs is not None else default_data_dirs(home))
        self._max_running = max_running

    def _input(self, given: str | None, which: int, field: str) -> Path:
        if given is not None:
            return data_file(given, field, self._data_dirs)
        try:  # the operator's configured default: not confined
            return local_file(self._defaults[which], field)
        except TrainingInputError as exc:
            # Not the client's mistake: the server's own default is missing.
            log.error("default %s data %s unusable: %s", field, self._defaults[which], exc)
            raise TrainingUnavailableError(f"the default {field} data is not available") from None

    def start(
        self,
        train_path: str | None,
        validation_path: str | None,
        *,
        idempotency_key: str | None = None,
        client: str | None = None,
    ) -> Execution:
        from training_pipeline.run_log import RunLog
        from training_pipeline.run_slots import claim_within_limit

        train = self._input(train_path, 0, "train")
        validation = self._input(validation_path, 1, "validation")
        run_id = _run_id_for(idempotency_key, client)
        execution = Execution(execution_id=run_id, execution_arn=f"local:training:{run_id}")
        # The row exists before the process does, so a status query right after this
        # answers 'pending' instead of 404; only the request that wrote it starts a run.
        claim = claim_within_limit(
            self._home, run_id, str(train), str(validation), limit=self._max_running
        )
        if not claim.claimed:
            if claim.running:
                raise TrainingBusyError(claim.running, self._max_running)
            return execution  # the same idempotency key: the run it started
        runs = RunLog(self._home)
        try:
            pid = self._spawn(run_id, train, validation)
        except OSError as exc:
            log.error("training run %s could not start: %r", run_id, exc)
            runs.update(run_id, status="failed", reason="the training process could not start")
            raise TrainingUnavailableError("could not start the training run") from exc
        runs.update(run_id, pid=pid)
        return execution

    def _spawn(self, run_id: str, train: Path, validation: Path) -> int:
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
        return process.pid

    def _reap(self, process: subprocess.Popen[bytes], run_id: str) -> None:
        from training_pipeline.run_log import RunLog

        code = process.wait()
        runs = RunLog(self._home)
        record = runs.get(run_id)
        # A run that died before recording its end (killed, import error) would stay
        # 'pending'/'running' forever; the CLI records its own failures otherwise.
        if code != 0 and record is not None and record.status in ("pending", "running"):
            reason = f"training process exited with code {code}; see run-logs/{run_id}.log"
            runs.update(run_id, status="failed", reason=reason, finished_at=utc_now())
