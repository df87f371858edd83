"""The API's settings, grouped per backend and read from the environment's variables.

Every variable, its default and its rule is declared once in `contract.environment`;
this module only groups them. Each process reads them once (`process_settings`, the
wiring's loaders) and a wrong value is a ConfigurationError naming the variable.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from contract import environment as env_vars
from contract.resources import DEFAULT_STAGE, TRAIN_KEY, VALIDATION_KEY, StageNames, s3_uri

KEY_FILENAME: Final = "api-keys.json"
PREDICTION_LOG_FILENAME: Final = "predictions.sqlite"
SAMPLE_DIRNAME: Final = "sample"
# /start_training reads local files only below these ($PVP_HOME/...), links followed.
DATA_DIRNAME: Final = "data"
TRAIN_FILENAME: Final = "train.csv"
VALIDATION_FILENAME: Final = "test.csv"


@dataclass(frozen=True)
class Settings:
    """What every backend and front shares."""

    backend: str
    stage: str
    key_refresh_seconds: float
    key_ttl_seconds: float
    max_body_bytes: int
    # /get_predictions' own limits: its body is larger than any single request's.
    max_batch_rows: int = env_vars.MAX_BATCH_ROWS.default
    max_batch_body_bytes: int = env_vars.MAX_BATCH_BODY_BYTES.default


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
        return self.home / PREDICTION_LOG_FILENAME

    @property
    def sample_dir(self) -> Path:
        return self.home / SAMPLE_DIRNAME


# One try for each call a prediction makes besides the endpoint's. Each has its own way
# out: the key store serves the keys it read before and tries again later, and a failed
# log write leaves the entry in the structured log for `python -m ops replay`. botocore's
# retries would wait up to 20 s of backoff each, and up to 5 s more a service may ask
# for, which no prediction has time for inside API Gateway's 29 s (chalice_app/budget.py).
PREDICTION_CALL_ATTEMPTS: Final = 1


@dataclass(frozen=True)
class CallLimits:
    """How long one AWS call may take: botocore's timeouts and tries (standard mode)."""

    connect_timeout: float
    read_timeout: float
    max_attempts: int


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
    idempotency_seconds: float
    # After this, a batch's log writes start no new call (the rest are recoverable lines).
    batch_log_seconds: float = env_vars.BATCH_LOG_SECONDS.default
    prediction_read_timeout: float = env_vars.PREDICTION_READ_TIMEOUT.default

    @property
    def names(self) -> StageNames:
        return StageNames(self.stage)

    @property
    def inputs_uri(self) -> str:
        """Where the launcher stages each run's data (one prefix per run below it)."""
        return s3_uri(self.bucket, self.names.inputs_prefix)

    @property
    def call_limits(self) -> CallLimits:
        """Every AWS call but a prediction's: status, training, callbacks, operators."""
        return CallLimits(self.connect_timeout, self.read_timeout, self.max_attempts)

    @property
    def endpoint_limits(self) -> CallLimits:
        """InvokeEndpoint: room for a serverless cold start."""
        return CallLimits(self.connect_timeout, self.endpoint_timeout, self.endpoint_max_attempts)

    @property
    def prediction_call_limits(self) -> CallLimits:
        """A prediction's other calls: the key reads and the log write (see above)."""
        return CallLimits(
            self.connect_timeout, self.prediction_read_timeout, PREDICTION_CALL_ATTEMPTS
        )


@dataclass(frozen=True)
class DeploySettings:
    """The deploy callback's: the endpoint's size, how long to wait, what to keep."""

    memory_mb: int
    max_concurrency: int
    keep: int
    wait_seconds: float
    poll_seconds: float
    role_arn: str | None  # None: the stage's SageMaker role in the pipeline's account


def _environ(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = _environ(env)
    backend = env_vars.BACKEND.read(env)
    default_stage = DEFAULT_STAGE if backend == env_vars.BACKEND_AWS else backend
    return Settings(
        backend=backend,
        stage=env_vars.STAGE.read(env) or default_stage,
        key_refresh_seconds=env_vars.KEY_REFRESH_SECONDS.read(env),
        key_ttl_seconds=env_vars.KEY_TTL_SECONDS.read(env),
        max_body_bytes=env_vars.MAX_BODY_BYTES.read(env),
        max_batch_rows=env_vars.MAX_BATCH_ROWS.read(env),
        max_batch_body_bytes=env_vars.MAX_BATCH_BODY_BYTES.read(env),
    )


@functools.cache
def process_settings() -> Settings:
    """This process's shared settings, read from its environment once."""
    return load_settings()


def default_data_dirs(home: Path) -> tuple[Path, Path]:
    """Where /start_training may read client-named files unless PVP_DATA_DIRS says."""
    return home / DATA_DIRNAME, home / SAMPLE_DIRNAME


def _absolute(path: str) -> Path:
    return Path(path).expanduser().absolute()


def load_local_settings(env: Mapping[str, str] | None = None) -> LocalSettings:
    env = _environ(env)
    home = env_vars.home_of(env)
    sample = home / SAMPLE_DIRNAME
    key_file = env_vars.KEY_FILE.read(env)
    data_dirs = env_vars.DATA_DIRS.read(env)
    return LocalSettings(
        home=home,
        key_file=_absolute(key_file) if key_file else home / KEY_FILENAME,
        train_path=env_vars.TRAIN_PATH.read(env) or str(sample / TRAIN_FILENAME),
        validation_path=env_vars.VALIDATION_PATH.read(env) or str(sample / VALIDATION_FILENAME),
        data_dirs=(
            tuple(_absolute(d) for d in data_dirs.split(os.pathsep) if d)
            if data_dirs
            else default_data_dirs(home)
        ),
        max_training_runs=env_vars.MAX_TRAINING_RUNS.read(env),
    )


def load_aws_settings(
    env: Mapping[str, str] | None = None, stage: str | None = None
) -> AwsSettings:
    """The AWS backend's settings; `stage` (an operator's --stage) wins over PVP_STAGE."""
    env = _environ(env)
    names = StageNames(stage or env_vars.STAGE.read(env) or DEFAULT_STAGE)
    bucket = env_vars.BUCKET.read(env) or names.bucket
    return AwsSettings(
        stage=names.stage,
        region=env_vars.region_of(env),
        bucket=bucket,
        secret_name=env_vars.SECRET_NAME.read(env) or names.secret,
        prediction_table=env_vars.PREDICTION_TABLE.read(env) or names.prediction_table,
        run_table=env_vars.RUN_TABLE.read(env) or names.run_table,
        pipeline_name=env_vars.PIPELINE_NAME.read(env) or names.pipeline,
        endpoint_name=env_vars.ENDPOINT_NAME.read(env) or names.endpoint,
        train_uri=env_vars.TRAIN_PATH.read(env) or s3_uri(bucket, TRAIN_KEY),
        validation_uri=env_vars.VALIDATION_PATH.read(env) or s3_uri(bucket, VALIDATION_KEY),
        key_grace_seconds=env_vars.KEY_GRACE_SECONDS.read(env),
        connect_timeout=env_vars.AWS_CONNECT_TIMEOUT.read(env),
        read_timeout=env_vars.AWS_READ_TIMEOUT.read(env),
        max_attempts=env_vars.AWS_MAX_ATTEMPTS.read(env),
        endpoint_timeout=env_vars.ENDPOINT_TIMEOUT.read(env),
        endpoint_max_attempts=env_vars.ENDPOINT_MAX_ATTEMPTS.read(env),
        endpoint_status_seconds=env_vars.ENDPOINT_STATUS_SECONDS.read(env),
        idempotency_seconds=env_vars.IDEMPOTENCY_HOURS.read(env) * 3600.0,
        batch_log_seconds=env_vars.BATCH_LOG_SECONDS.read(env),
        prediction_read_timeout=env_vars.PREDICTION_READ_TIMEOUT.read(env),
    )


def load_deploy_settings(env: Mapping[str, str] | None = None) -> DeploySettings:
    env = _environ(env)
    return DeploySettings(
        memory_mb=env_vars.ENDPOINT_MEMORY_MB.read(env),
        max_concurrency=env_vars.ENDPOINT_MAX_CONCURRENCY.read(env),
        keep=env_vars.DEPLOY_KEEP.read(env),
        wait_seconds=env_vars.DEPLOY_WAIT_SECONDS.read(env),
        poll_seconds=env_vars.DEPLOY_POLL_SECONDS.read(env),
        role_arn=env_vars.SAGEMAKER_ROLE_ARN.read(env),
    )
