"""Settings read from the environment once; argument, then variable, then default."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from chalice_app import constants as c
from chalice_app.errors import ConfigurationError


@dataclass(frozen=True)
class Settings:
    """What every backend and front shares."""

    backend: str
    key_refresh_seconds: float
    key_ttl_seconds: float
    max_body_bytes: int


@dataclass(frozen=True)
class LocalSettings:
    """Where the embedded backend keeps its state and finds its default data."""

    home: Path
    key_file: Path
    train_path: str
    validation_path: str
    data_dirs: tuple[Path, ...]
    max_training_runs: int

    @property
    def prediction_log_path(self) -> Path:
        return self.home / c.PREDICTION_LOG_FILENAME


@dataclass(frozen=True)
class AwsSettings:
    """The AWS backend's resources (names carry the stage), region and client limits."""

    stage: str
    region: str
    bucket: str
    secret_name: str
    prediction_table: str
    run_table: str
    pipeline_name: str
    endpoint_name: str
    train_uri: str
    validation_uri: str
    key_grace_seconds: float
    connect_timeout: float
    read_timeout: float
    max_attempts: int
    endpoint_timeout: float
    endpoint_max_attempts: int
    endpoint_status_seconds: float


@dataclass(frozen=True)
class DeploySettings:
    """The deploy callback's: the endpoint's size, how long to wait, what to keep."""

    memory_mb: int
    max_concurrency: int
    keep: int
    wait_seconds: float
    poll_seconds: float
    role_arn: str | None  # None: the stage's SageMaker role in the pipeline's account


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be a number, got {raw!r}") from exc
    if value < 0:
        raise ConfigurationError(f"{name} must not be negative, got {raw!r}")
    return value


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    backend = env.get(c.ENV_BACKEND) or c.DEFAULT_BACKEND
    if backend not in c.BACKENDS:
        raise ConfigurationError(f"{c.ENV_BACKEND} must be one of {c.BACKENDS}, got {backend!r}")
    return Settings(
        backend=backend,
        key_refresh_seconds=_number(env, c.ENV_KEY_REFRESH_SECONDS, c.DEFAULT_KEY_REFRESH_SECONDS),
        key_ttl_seconds=_number(env, c.ENV_KEY_TTL_SECONDS, c.DEFAULT_KEY_TTL_SECONDS),
        max_body_bytes=int(_number(env, c.ENV_MAX_BODY_BYTES, c.DEFAULT_MAX_BODY_BYTES)),
    )


def default_data_dirs(home: Path) -> tuple[Path, Path]:
    """Where /start_training may read client-named files unless PVP_DATA_DIRS says."""
    return home / c.DATA_DIRNAME, home / c.SAMPLE_DIRNAME


def load_local_settings(env: Mapping[str, str] | None = None) -> LocalSettings:
    # The training pipeline owns $PVP_HOME (its CLI reads it too): one resolver for both.
    # Imported here so that the AWS backend and the Lambda package never need it.
    from training_pipeline.store import resolve_home

    env = os.environ if env is None else env
    home = resolve_home(env=env)
    sample = home / c.SAMPLE_DIRNAME
    key_file = env.get(c.ENV_KEY_FILE)
    data_dirs = env.get(c.ENV_DATA_DIRS)
    return LocalSettings(
        home=home,
        key_file=Path(key_file).expanduser().absolute() if key_file else home / c.KEY_FILENAME,
        train_path=env.get(c.ENV_TRAIN_PATH) or str(sample / c.TRAIN_FILENAME),
        validation_path=env.get(c.ENV_VALIDATION_PATH) or str(sample / c.VALIDATION_FILENAME),
        data_dirs=(
            tuple(Path(d).expanduser().absolute() for d in data_dirs.split(os.pathsep) if d)
            if data_dirs
            else default_data_dirs(home)
        ),
        max_training_runs=int(_number(env, c.ENV_MAX_TRAINING_RUNS, c.DEFAULT_MAX_TRAINING_RUNS)),
    )


# Stages name resources; keep them short and safe in every AWS name they end up in.
_STAGE = re.compile(r"^[a-z0-9][a-z0-9-]{0,15}$")


def _attempts(env: Mapping[str, str], name: str, default: int) -> int:
    value = int(_number(env, name, default))
    if value < 1:
        raise ConfigurationError(f"{name} must be at least 1, got {env.get(name)!r}")
    return value


def load_aws_settings(env: Mapping[str, str] | None = None) -> AwsSettings:
    env = os.environ if env is None else env
    stage = env.get(c.ENV_STAGE) or c.DEFAULT_STAGE
    if not _STAGE.match(stage):
        raise ConfigurationError(f"{c.ENV_STAGE} must match {_STAGE.pattern}, got {stage!r}")
    region = next((env[name] for name in c.ENV_REGIONS if env.get(name)), "")
    if not region:
        raise ConfigurationError(f"the AWS backend needs a region: set {c.ENV_REGIONS[0]}")
    bucket = env.get(c.ENV_BUCKET) or ""
    if not bucket:
        raise ConfigurationError(f"the AWS backend needs {c.ENV_BUCKET} (training data bucket)")

    def name(variable: str, template: str) -> str:
        return env.get(variable) or template.format(stage=stage, bucket=bucket)

    return AwsSettings(
        stage=stage,
        region=region,
        bucket=bucket,
        secret_name=name(c.ENV_SECRET_NAME, c.SECRET_NAME),
        prediction_table=name(c.ENV_PREDICTION_TABLE, c.PREDICTION_TABLE),
        run_table=name(c.ENV_RUN_TABLE, c.RUN_TABLE),
        pipeline_name=name(c.ENV_PIPELINE_NAME, c.PIPELINE_NAME),
        endpoint_name=name(c.ENV_ENDPOINT_NAME, c.ENDPOINT_NAME),
        train_uri=name(c.ENV_TRAIN_PATH, c.TRAIN_URI),
        validation_uri=name(c.ENV_VALIDATION_PATH, c.VALIDATION_URI),
        key_grace_seconds=_number(env, c.ENV_KEY_GRACE_SECONDS, c.DEFAULT_KEY_GRACE_SECONDS),
        connect_timeout=_number(env, c.ENV_AWS_CONNECT_TIMEOUT, c.DEFAULT_AWS_CONNECT_TIMEOUT),
        read_timeout=_number(env, c.ENV_AWS_READ_TIMEOUT, c.DEFAULT_AWS_READ_TIMEOUT),
        max_attempts=_attempts(env, c.ENV_AWS_MAX_ATTEMPTS, c.DEFAULT_AWS_MAX_ATTEMPTS),
        endpoint_timeout=_number(env, c.ENV_ENDPOINT_TIMEOUT, c.DEFAULT_ENDPOINT_TIMEOUT),
        endpoint_max_attempts=_attempts(
            env, c.ENV_ENDPOINT_MAX_ATTEMPTS, c.DEFAULT_ENDPOINT_MAX_ATTEMPTS
        ),
        endpoint_status_seconds=_number(
            env, c.ENV_ENDPOINT_STATUS_SECONDS, c.DEFAULT_ENDPOINT_STATUS_SECONDS
        ),
    )


def load_deploy_settings(env: Mapping[str, str] | None = None) -> DeploySettings:
    env = os.environ if env is None else env
    memory = int(_number(env, c.ENV_ENDPOINT_MEMORY_MB, c.DEFAULT_ENDPOINT_MEMORY_MB))
    if memory not in c.ENDPOINT_MEMORY_CHOICES:
        choices = ", ".join(map(str, c.ENDPOINT_MEMORY_CHOICES))
        raise ConfigurationError(f"{c.ENV_ENDPOINT_MEMORY_MB} must be one of {choices}")
    concurrency = _attempts(env, c.ENV_ENDPOINT_MAX_CONCURRENCY, c.DEFAULT_ENDPOINT_MAX_CONCURRENCY)
    if concurrency > c.MAX_ENDPOINT_CONCURRENCY:
        limit = c.MAX_ENDPOINT_CONCURRENCY
        raise ConfigurationError(f"{c.ENV_ENDPOINT_MAX_CONCURRENCY} must be at most {limit}")
    keep = _attempts(env, c.ENV_DEPLOY_KEEP, c.DEFAULT_DEPLOY_KEEP)
    if keep < 2:  # the previous config is the rollback target
        raise ConfigurationError(f"{c.ENV_DEPLOY_KEEP} must be at least 2")
    return DeploySettings(
        memory_mb=memory,
        max_concurrency=concurrency,
        keep=keep,
        wait_seconds=_number(env, c.ENV_DEPLOY_WAIT_SECONDS, c.DEFAULT_DEPLOY_WAIT_SECONDS),
        poll_seconds=_number(env, c.ENV_DEPLOY_POLL_SECONDS, c.DEFAULT_DEPLOY_POLL_SECONDS),
        role_arn=env.get(c.ENV_SAGEMAKER_ROLE_ARN) or None,
    )
