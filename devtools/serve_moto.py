"""`python -m devtools.serve_moto [--package build/dev]` (make run-moto): the API on its
AWS backend, no account.

Starts moto_server on 127.0.0.1:${MOTO_PORT:-5000}, deploys a first model locally if
none is (as `make run` does), serves it as the SageMaker endpoint through the model
server, deploys the account's and the stage's data stacks (infra/) into moto's
CloudFormation (the secret's first key is random and shown once), uploads the sample
data, upserts the pipeline and serves the endpoint; with --package (`make package`'s
output), deploys the functions' stack from it too; then the stage's alarms stack (its
alarms stood in: moto's CloudFormation has no alarm type). Then it serves the API with
PVP_BACKEND=aws through the ECS proxy on 127.0.0.1:${PORT:-8080}. Runs started through
the API are played by a stand-in for SageMaker Pipelines (moto_player.py), so their
status tells a real outcome. Ctrl-C stops all.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from chalice_app.aws.clients import AwsClients
from chalice_app.config import AwsSettings, LocalSettings, load_aws_settings, load_local_settings
from contract.environment import BUCKET, HOME, MOTO_PORT, PORT, STAGE
from contract.resources import DEFAULT_STAGE, StageNames
from devtools.infra.stages import settings_of
from devtools.launch import REPO_ROOT, free_port, stopped_at_exit
from devtools.moto_player import PipelinePlayer
from devtools.moto_resources import deploy_clients, provision
from devtools.moto_stack import REGION, aws_env, environ, running_model_server, running_moto
from devtools.serve_local import curl_example, deploy_first_model, ensure_sample

FIRST_VERSION = "v0001"


def deployed_model_dir(home: Path) -> Path:
    from training_pipeline.registry import LocalRegistry

    location = LocalRegistry(home).deployed_location()
    if location is None:
        raise SystemExit("no model is deployed: the first training run was rejected")
    return location[1]


class ModelEndpoint:
    """The endpoint's model server; a deploy restarts it on its port with the new model."""

    def __init__(self, log_path: Path, endpoint_name: str) -> None:
        self._log, self._name, self._port = log_path, endpoint_name, free_port()
        self._stack = ExitStack()
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def serve(self, version: str, model_dir: Path) -> None:
        with self._lock:
            self._stack.close()
            self._stack = ExitStack()
            self._stack.enter_context(
                running_model_server(
                    model_dir, self._log, endpoint_name=self._name, version=version, port=self._port
                )
            )
        print(f"endpoint {self._name}: now model {version}", flush=True)

    def close(self) -> None:
        with self._lock:
            self._stack.close()


@dataclass(frozen=True)
class MotoStack:
    env: dict[str, str]  # the API's environment: AWS backend, moto, the model server
    settings: AwsSettings
    key: str
    endpoint: ModelEndpoint


@contextmanager
def running_stack(
    local: LocalSettings, moto_port: int | None = None, package: Path | None = None
) -> Iterator[MotoStack]:
    """moto_server and the model server, with the stage provisioned (a fresh key) and,
    given a package directory, its functions' stack deployed."""
    deploy_first_model(local)
    model_dir = deployed_model_dir(local.home)
    logs = local.home / "moto"
    stage = STAGE.read(os.environ) or DEFAULT_STAGE
    names = {
        "AWS_REGION": REGION,
        STAGE.name: stage,
        BUCKET.name: BUCKET.read(os.environ) or StageNames(stage).bucket,
    }
    settings = load_aws_settings({**os.environ, **names})
    endpoint = ModelEndpoint(logs / "model_server.log", settings.endpoint_name)
    with running_moto(logs / "moto_server.log", port=moto_port) as moto, closing(endpoint):
        # The stage's Model Package Group starts empty: the local model becomes its v0001.
        endpoint.serve(FIRST_VERSION, model_dir)
        env = {**os.environ, HOME.name: str(local.home), **aws_env(moto, endpoint, **names)}
        key = secrets.token_urlsafe(32)
        with environ(env):  # botocore reads the endpoints when it builds a client
            clients = deploy_clients(settings)
            provisioned = provision(
                clients, settings, key=key, sample=ensure_sample(local), model_dir=model_dir
            )
            assert provisioned == FIRST_VERSION, provisioned
            if package is not None:
                _deploy_functions(clients, stage, package, env)
            # The ECS front's alarms read the network stack's exports, which the package's
            # deploy brings.
            if package is not None or not settings_of(stage).ecs_front:
                _deploy_alarms(clients, stage)
        print(f"moto_server: {moto.base_url} (log: {logs / 'moto_server.log'})")
        print(f"endpoint {settings.endpoint_name}: model {FIRST_VERSION} at {endpoint.base_url}")
        yield MotoStack(env, settings, key, endpoint)


def _deploy_functions(
    clients: AwsClients, stage: str, directory: Path, env: dict[str, str]
) -> None:
    from devtools.infra.moto_deploy import deploy_functions
    from devtools.infra.package import Package

    package = Package(directory / "sam.yaml", directory / "deployment.zip", directory / "layer.zip")
    # On a Lambda-only stage the test invoker calls the API this serves (the proxy).
    api_url = f"http://127.0.0.1:{PORT.read(env)}/"
    created = deploy_functions(clients.get, stage, package, env, api_url)
    print(f"functions' stack from {directory}: {len(created)} resources", flush=True)


def _deploy_alarms(clients: AwsClients, stage: str) -> None:
    from devtools.infra.moto_deploy import deploy_alarms

    created = deploy_alarms(clients.get, stage, REGION)
    print(f"alarms' stack: {len(created)} resources, its alarms stood in", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devtools.serve_moto", description=__doc__)
    parser.add_argument("--package", type=Path, help="deploy this package's functions' stack")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    local = load_local_settings()
    with ExitStack() as stack:
        moto_port = MOTO_PORT.read(os.environ)
        aws = stack.enter_context(running_stack(local, moto_port, args.package))
        print(f"secret {aws.settings.secret_name}: your API key (shown once): {aws.key}")
        print("try:\n  " + curl_example(aws.key), flush=True)
        with environ(aws.env):  # the player's clients, pointed at moto_server
            clients = deploy_clients(aws.settings)
            for service in ("s3", "sagemaker", "dynamodb"):
                clients.get(service)
        work = local.home / "moto" / "runs"
        stack.enter_context(
            PipelinePlayer(clients, aws.settings, aws.env, work, aws.endpoint.serve)
        )
        proxy = subprocess.Popen([sys.executable, "-m", "ecs_proxy"], cwd=REPO_ROOT, env=aws.env)
        stack.enter_context(stopped_at_exit(proxy))
        print("training runs are played by a stand-in for SageMaker (devtools/moto_player.py)")
        # Ctrl-C or SIGTERM: the stack stops the proxy, the model server and moto_server.
        with contextlib.suppress(KeyboardInterrupt):
            proxy.wait()


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)  # unwinds the ExitStack: no server is left behind


if __name__ == "__main__":
    main()
