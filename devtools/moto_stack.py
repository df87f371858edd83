"""AWS without an account, for `make run-moto`, the tests and the benchmark.

moto_server plays every AWS API on 127.0.0.1; the model server plays the SageMaker
endpoint (moto's own invoke_endpoint answers a canned body). `aws_env` is the
environment that points the API's AWS backend at both.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

from contract.environment import BACKEND, BACKEND_AWS, MODEL_VERSION
from devtools.launch import RunningServer, free_port, running_process

REGION = "us-east-1"
# moto accepts any credentials; these are not secrets and reach nothing real.
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@contextmanager
def running_server(
    args: list[str],
    log_path: Path,
    *,
    port: int | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 30,
    program: str = sys.executable,
) -> Iterator[RunningServer]:
    """Run `<program> <args> ... --port P` (python by default) until it answers HTTP."""
    port = port or free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with running_process(
        [program, *args, "--port", str(port)],
        log_path,
        host="127.0.0.1",
        port=port,
        env=env or {},
        timeout=timeout,
        append_log=True,
    ) as server:
        yield server


@contextmanager
def environ(values: Mapping[str, str]) -> Iterator[None]:
    """os.environ with these values inside the block, as it was after it."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def running_moto(log_path: Path, port: int | None = None) -> AbstractContextManager[RunningServer]:
    return running_server(["-m", "moto.server", "--host", "127.0.0.1"], log_path, port=port)


def running_model_server(
    model_dir: Path,
    log_path: Path,
    *,
    endpoint_name: str | None = None,
    version: str | None = None,
    port: int | None = None,
) -> AbstractContextManager[RunningServer]:
    env = {MODEL_VERSION.name: version} if version else {}
    args = ["-m", "training_pipeline.model_server", "--model-dir", str(model_dir)]
    if endpoint_name:
        args += ["--endpoint-name", endpoint_name]
    return running_server(args, log_path, port=port, env=env)


class Served(Protocol):
    @property
    def base_url(self) -> str: ...


def aws_env(moto: Served, runtime: Served, **names: str) -> dict[str, str]:
    """The API's environment for the AWS backend on moto, with the real model behind
    the sagemaker-runtime client alone (botocore reads that variable for it only)."""
    return {
        **FAKE_CREDENTIALS,
        BACKEND.name: BACKEND_AWS,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": moto.base_url,
        "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": runtime.base_url,
        **names,
    }
