"""The composition root: builds the backends once per process, on first use.

Nothing is built at import time. A configuration error is logged once with its detail
and then answered as a generic 503 on every request, instead of a traceback each time.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chalice_app.auth import KeyChecker
from chalice_app.config import (
    Settings,
    load_aws_settings,
    load_local_settings,
    process_settings,
)
from chalice_app.errors import MisconfiguredError
from chalice_app.health import Health
from chalice_app.ports import PredictionLog, Predictor, RunStatusReader, TrainingLauncher
from contract.environment import BACKEND_LOCAL
from contract.settings import ConfigurationError

if TYPE_CHECKING:
    from chalice_app.analytics.service import Analytics
    from chalice_app.aws.status import PipelineRunStatus
    from chalice_app.aws.training import PipelineLauncher
    from chalice_app.callbacks.service import Callbacks
    from chalice_app.config import AwsSettings
    from chalice_app.rotation.service import KeyRotation

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backends:
    """Everything a service function may call, built once per process."""

    settings: Settings
    keys: KeyChecker
    predictor: Predictor
    prediction_log: PredictionLog
    launcher: TrainingLauncher
    runs: RunStatusReader
    health: Health = field(default_factory=Health)


def build_local_backends(settings: Settings) -> Backends:
    from chalice_app.local.keys import JsonKeyFileStore
    from chalice_app.local.prediction_log import SqlitePredictionLog
    from chalice_app.local.predictor import LocalPredictor
    from chalice_app.local.run_status import LocalRunStatus
    from chalice_app.local.training import LocalTrainingLauncher

    if importlib.util.find_spec("training_pipeline") is None:
        # E.g. the Lambda package, which carries no model code.
        raise ConfigurationError("the local backend needs training_pipeline, not installed here")
    local = load_local_settings()
    health = Health()
    return Backends(
        settings=settings,
        keys=KeyChecker(
            JsonKeyFileStore(local.key_file, settings.key_ttl_seconds),
            settings.key_refresh_seconds,
        ),
        predictor=LocalPredictor(local.home, health),
        prediction_log=SqlitePredictionLog(local.prediction_log_path),
        launcher=LocalTrainingLauncher(
            local.home,
            local.train_path,
            local.validation_path,
            data_dirs=local.data_dirs,
            max_running=local.max_training_runs,
        ),
        runs=LocalRunStatus(local.home),
        health=health,
    )


def build_aws_backends(settings: Settings) -> Backends:
    try:
        from chalice_app.aws.clients import RUNTIME, AwsClients
        from chalice_app.aws.keys import SecretsManagerKeyStore
        from chalice_app.aws.prediction_log import DynamoPredictionLog
        from chalice_app.aws.predictor import EndpointPredictor
    except ImportError as exc:  # boto3 or Powertools missing from this environment
        raise ConfigurationError(f"the AWS backend cannot be imported: {exc}") from None

    from chalice_app.budget import check_prediction_budget

    aws = load_aws_settings()
    for route, budget in zip(
        ("/get_prediction", "/get_predictions"),
        check_prediction_budget(aws, settings.max_batch_rows),
        strict=True,
    ):
        log.info("%s takes at most %.1f s: %s", route, budget.total, budget.describe())
    clients = AwsClients(aws)
    pipeline = pipeline_access(aws, clients, "started through the API's /start_training")
    store = SecretsManagerKeyStore(
        clients.source("secretsmanager", aws.prediction_call_limits),
        aws.secret_name,
        ttl=settings.key_ttl_seconds,
        grace=aws.key_grace_seconds,
        retry_after=settings.key_refresh_seconds,
    )
    return Backends(
        settings=settings,
        keys=KeyChecker(store, settings.key_refresh_seconds),
        predictor=EndpointPredictor(
            clients.source(RUNTIME),
            clients.source("sagemaker"),
            aws.endpoint_name,
            status_seconds=aws.endpoint_status_seconds,
        ),
        prediction_log=DynamoPredictionLog(
            clients.source("dynamodb", aws.prediction_call_limits),
            aws.prediction_table,
            batch_seconds=aws.batch_log_seconds,
        ),
        launcher=pipeline.launcher,
        runs=pipeline.runs,
    )


@dataclass(frozen=True)
class PipelineAccess:
    """What an operator's command needs on a stage: start runs and read them."""

    settings: AwsSettings
    launcher: PipelineLauncher
    runs: PipelineRunStatus


def pipeline_access(aws: AwsSettings, clients: Any, description: str) -> PipelineAccess:
    """The launcher and the status reader, as the API and the operators' commands use them."""
    from chalice_app.aws.run_table import RunTable
    from chalice_app.aws.status import PipelineRunStatus
    from chalice_app.aws.training import PipelineLauncher

    runs = RunTable(
        clients.source("dynamodb"), aws.run_table, idempotency_seconds=aws.idempotency_seconds
    )
    launcher = PipelineLauncher(
        clients.source("sagemaker"),
        clients.source("s3"),
        runs,
        aws.pipeline_name,
        (aws.train_uri, aws.validation_uri),
        aws.endpoint_name,
        inputs=aws.inputs_uri,
        description=description,
    )
    return PipelineAccess(
        aws, launcher, PipelineRunStatus(clients.source("sagemaker"), runs, aws.pipeline_name)
    )


def build_pipeline_access(aws: AwsSettings, description: str) -> PipelineAccess:
    """For operators' commands (`python -m ops`): a stage's runs, with its own clients."""
    from chalice_app.aws.clients import AwsClients

    return pipeline_access(aws, AwsClients(aws), description)


def build_backends() -> Backends:
    settings = process_settings()
    if settings.backend == BACKEND_LOCAL:
        return build_local_backends(settings)
    return build_aws_backends(settings)


_lock = threading.Lock()
_backends: Backends | None = None
_failure: ConfigurationError | None = None


def get_backends() -> Backends:
    """The process's backends; MisconfiguredError (503) while configuration is wrong."""
    global _backends, _failure
    if _backends is not None:
        return _backends
    with _lock:
        if _backends is None and _failure is None:
            try:
                _backends = build_backends()
            except ConfigurationError as exc:
                # The environment cannot change under a running process: say it once.
                log.error("configuration error, answering 503 until fixed: %s", exc)
                _failure = exc
        if _backends is None:
            raise MisconfiguredError()
        return _backends


def reset_backends() -> None:
    """Forget the built backends (tests that change the environment call this)."""
    global _backends, _failure
    with _lock:
        _backends, _failure = None, None
        process_settings.cache_clear()


_callbacks: Callbacks | None = None


def get_callbacks() -> Callbacks:
    """The pipeline callbacks' dependencies (chalice_app/callbacks), built on first use.

    AWS only: the callbacks run as the pipeline's Lambda steps and the deploy watcher.
    A configuration error raises (the step fails with it), never a generic answer.
    """
    global _callbacks
    with _lock:
        if _callbacks is None:
            _callbacks = build_callbacks()
        return _callbacks


def reset_callbacks() -> None:
    """Forget the built callbacks (tests that change the environment call this)."""
    global _callbacks
    with _lock:
        _callbacks = None


def build_callbacks(env: Mapping[str, str] | None = None, clients: Any = None) -> Callbacks:
    """The callbacks on the stage `env` names (os.environ by default); `clients` as
    AwsClients gives them (tests hand in their own)."""
    import time

    from chalice_app.aws.artifacts import S3Artifacts
    from chalice_app.aws.clients import AwsClients
    from chalice_app.aws.deployments import DeploymentTable
    from chalice_app.aws.endpoints import SageMakerEndpoints
    from chalice_app.aws.run_table import RunTable
    from chalice_app.callbacks.rollout import Rollout
    from chalice_app.callbacks.service import Callbacks
    from chalice_app.config import load_deploy_settings

    aws = load_aws_settings(env)
    settings = load_deploy_settings(env)
    clients = clients or AwsClients(aws)
    runs = RunTable(clients.source("dynamodb"), aws.run_table)
    endpoints = SageMakerEndpoints(clients.source("sagemaker"), aws.endpoint_name)
    rollout = Rollout(
        endpoints,
        DeploymentTable(clients.source("dynamodb"), aws.run_table),
        runs,
        owned_prefix=aws.names.served_prefix,
        keep=settings.keep,
    )
    return Callbacks(
        stage=aws.stage,
        settings=settings,
        runs=runs,
        artifacts=S3Artifacts(clients.source("s3")),
        endpoints=endpoints,
        rollout=rollout,
        clock=time.time,
    )


_analytics_access: tuple[AwsSettings, Any] | None = None


def analytics_access() -> tuple[AwsSettings, Any]:
    """The analytics functions' stage settings and clients, built on first use (AWS only)."""
    global _analytics_access
    with _lock:
        if _analytics_access is None:
            from chalice_app.aws.clients import AwsClients

            aws = load_aws_settings()
            _analytics_access = (aws, AwsClients(aws))
        return _analytics_access


def build_analytics(
    account: str, env: Mapping[str, str] | None = None, clients: Any = None
) -> Analytics:
    """The nightly jobs' starter, for the stage `env` names (os.environ by default), in
    the account the function runs in (the model image and SageMaker role are its)."""
    import os

    from chalice_app.analytics.service import Analytics
    from chalice_app.aws.processing import JobSettings, ProcessingJobs
    from contract import environment as env_vars
    from contract.resources import StageTargets

    env = os.environ if env is None else env
    aws = load_aws_settings(env)
    if clients is None:
        clients = analytics_access()[1]
    targets = StageTargets.of(
        aws.names,
        account=account,
        region=aws.region,
        role_arn=env_vars.SAGEMAKER_ROLE_ARN.read(env),
        image_uri=env_vars.TRAINING_IMAGE_URI.read(env),
    )
    settings = JobSettings(
        names=aws.names,
        region=aws.region,
        role_arn=targets.role_arn,
        image_uri=targets.image_uri,
        instance_type=env_vars.ANALYTICS_INSTANCE_TYPE.read(env),
    )
    return Analytics(
        jobs=ProcessingJobs(clients.source("sagemaker"), settings),
        drift_days=env_vars.DRIFT_DAYS.read(env),
    )


_rotation: KeyRotation | None = None


def get_rotation() -> KeyRotation:
    """The API keys' rotation (chalice_app/rotation), built on first use. AWS only; a
    configuration error raises (Secrets Manager records the failed step)."""
    global _rotation
    with _lock:
        if _rotation is None:
            from chalice_app.aws.clients import AwsClients
            from chalice_app.rotation.service import KeyRotation

            # Not a request: the rotation's calls get every setting's tries.
            _rotation = KeyRotation(AwsClients(load_aws_settings()).source("secretsmanager"))
        return _rotation


def reset_rotation() -> None:
    """Forget the built rotation (tests that change the environment call this)."""
    global _rotation
    with _lock:
        _rotation = None
