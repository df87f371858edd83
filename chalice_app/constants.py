"""Every configuration name and default in one place (environment variables: PVP_*).

PVP_HOME, the local state directory, belongs to the training pipeline
(`training_pipeline.store`), which resolves it for the CLI and the local backend alike.
"""

from __future__ import annotations

from typing import Final

APP_NAME: Final = "property-value-predictor"

ENV_BACKEND: Final = "PVP_BACKEND"
ENV_KEY_FILE: Final = "PVP_KEY_FILE"
ENV_TRAIN_PATH: Final = "PVP_TRAIN_PATH"
ENV_VALIDATION_PATH: Final = "PVP_VALIDATION_PATH"
ENV_KEY_REFRESH_SECONDS: Final = "PVP_KEY_REFRESH_SECONDS"
ENV_KEY_TTL_SECONDS: Final = "PVP_KEY_TTL_SECONDS"
ENV_MAX_BODY_BYTES: Final = "PVP_MAX_BODY_BYTES"
ENV_DATA_DIRS: Final = "PVP_DATA_DIRS"
ENV_MAX_TRAINING_RUNS: Final = "PVP_MAX_TRAINING_RUNS"

# The AWS backend (chalice_app/aws): every resource name carries the stage and can be
# overridden one by one. Region and credentials come from the usual AWS variables.
ENV_STAGE: Final = "PVP_STAGE"
ENV_BUCKET: Final = "PVP_BUCKET"
ENV_SECRET_NAME: Final = "PVP_SECRET_NAME"
ENV_PREDICTION_TABLE: Final = "PVP_PREDICTION_TABLE"
ENV_RUN_TABLE: Final = "PVP_RUN_TABLE"
ENV_PIPELINE_NAME: Final = "PVP_PIPELINE_NAME"
ENV_ENDPOINT_NAME: Final = "PVP_ENDPOINT_NAME"
ENV_KEY_GRACE_SECONDS: Final = "PVP_KEY_GRACE_SECONDS"
ENV_AWS_CONNECT_TIMEOUT: Final = "PVP_AWS_CONNECT_TIMEOUT"
ENV_AWS_READ_TIMEOUT: Final = "PVP_AWS_READ_TIMEOUT"
ENV_AWS_MAX_ATTEMPTS: Final = "PVP_AWS_MAX_ATTEMPTS"
ENV_ENDPOINT_TIMEOUT: Final = "PVP_ENDPOINT_TIMEOUT"
ENV_ENDPOINT_MAX_ATTEMPTS: Final = "PVP_ENDPOINT_MAX_ATTEMPTS"
ENV_ENDPOINT_STATUS_SECONDS: Final = "PVP_ENDPOINT_STATUS_SECONDS"
ENV_REGIONS: Final = ("AWS_REGION", "AWS_DEFAULT_REGION")

DEFAULT_STAGE: Final = "dev"
# The old system's names, with the stage suffix.
SECRET_NAME: Final = "property-value-predictor-api-keys-{stage}"
PREDICTION_TABLE: Final = "inference-results-logging-table-{stage}"
RUN_TABLE: Final = "training-pipeline-results-{stage}"
PIPELINE_NAME: Final = "property-evaluator-training-{stage}"
ENDPOINT_NAME: Final = "property-value-regressor-serverless-endpoint-{stage}"
TRAIN_URI: Final = "s3://{bucket}/data/training_data/train.csv"
VALIDATION_URI: Final = "s3://{bucket}/data/validation_data/test.csv"
# The pipeline's run-time parameters that /start_training fills (same words as the body).
PIPELINE_TRAIN_PARAMETER: Final = "TrainingDataS3Path"
PIPELINE_VALIDATION_PARAMETER: Final = "ValidationDataS3Path"
# AWSPREVIOUS keys stay valid this long after AWSCURRENT was created, so a rotation
# never locks out a client that has not picked up the new key yet.
DEFAULT_KEY_GRACE_SECONDS: Final = 24 * 3600.0
# Every AWS call but the endpoint's: fail fast; botocore's standard retry mode backs off
# with jitter and retries throttling and transient errors.
DEFAULT_AWS_CONNECT_TIMEOUT: Final = 2.0
DEFAULT_AWS_READ_TIMEOUT: Final = 5.0
DEFAULT_AWS_MAX_ATTEMPTS: Final = 3
# A serverless endpoint's cold start takes seconds: room for it, and two tries at most
# keep a request under API Gateway's 29 s limit (2 x (2 + 12) = 28 s at worst).
DEFAULT_ENDPOINT_TIMEOUT: Final = 12.0
DEFAULT_ENDPOINT_MAX_ATTEMPTS: Final = 2
# /ping reads the endpoint's state at most this often per process (DescribeEndpoint).
DEFAULT_ENDPOINT_STATUS_SECONDS: Final = 10.0

# Set on the SageMaker Model by the deploy; training_pipeline.steps.serve reads it too.
MODEL_VERSION_ENV: Final = "PVP_MODEL_VERSION"

# The pipeline's deploy callback and watcher (chalice_app/deploy). One setting each for
# the serverless endpoint's size: the old system had two of each, and they disagreed.
ENV_ENDPOINT_MEMORY_MB: Final = "PVP_ENDPOINT_MEMORY_MB"
ENV_ENDPOINT_MAX_CONCURRENCY: Final = "PVP_ENDPOINT_MAX_CONCURRENCY"
ENV_DEPLOY_KEEP: Final = "PVP_DEPLOY_KEEP"
ENV_DEPLOY_WAIT_SECONDS: Final = "PVP_DEPLOY_WAIT_SECONDS"
ENV_DEPLOY_POLL_SECONDS: Final = "PVP_DEPLOY_POLL_SECONDS"
ENV_SAGEMAKER_ROLE_ARN: Final = "PVP_SAGEMAKER_ROLE_ARN"
# Serverless endpoints take 1-6 GiB in 1 GiB steps and up to 200 concurrent requests.
ENDPOINT_MEMORY_CHOICES: Final = (1024, 2048, 3072, 4096, 5120, 6144)
MAX_ENDPOINT_CONCURRENCY: Final = 200
DEFAULT_ENDPOINT_MEMORY_MB: Final = 2048
DEFAULT_ENDPOINT_MAX_CONCURRENCY: Final = 5
# Configs and models kept: the serving one, the previous (the rollback target) and one more.
DEFAULT_DEPLOY_KEEP: Final = 3
# A SageMaker Lambda step gives up after 10 minutes, and the callback's Lambda timeout
# (.chalice/config.json, 540 s) is under it: wait this long, then leave the rest of the
# rollout to the deploy watcher, which looks every minute.
DEFAULT_DEPLOY_WAIT_SECONDS: Final = 420.0
DEFAULT_DEPLOY_POLL_SECONDS: Final = 15.0
# The role SageMaker runs the model with (the pipeline's, training_pipeline/sagemaker).
SAGEMAKER_ROLE_ARN: Final = "arn:aws:iam::{account}:role/property-value-predictor-sagemaker-{stage}"
# Pipeline parameters a launcher fills besides the data (pipeline.py defines them).
PIPELINE_CHAMPION_PARAMETER: Final = "ChampionModelDataUrl"
PIPELINE_CHAMPION_VERSION_PARAMETER: Final = "ChampionVersion"
PIPELINE_TIMESTAMP_PARAMETER: Final = "TrainingTimestamp"

# Logs and metrics (Powertools): one service name, one metrics namespace.
METRICS_NAMESPACE: Final = "PropertyValuePredictor"

BACKEND_LOCAL: Final = "local"
BACKEND_AWS: Final = "aws"
BACKENDS: Final = (BACKEND_LOCAL, BACKEND_AWS)

DEFAULT_BACKEND: Final = BACKEND_LOCAL
KEY_FILENAME: Final = "api-keys.json"
PREDICTION_LOG_FILENAME: Final = "predictions.sqlite"
SAMPLE_DIRNAME: Final = "sample"
# /start_training reads local files only below these ($PVP_HOME/...), links followed.
DATA_DIRNAME: Final = "data"
# One run already takes a core and ~150 MB on the sample; the API must not fork a swarm.
DEFAULT_MAX_TRAINING_RUNS: Final = 1
TRAIN_FILENAME: Final = "train.csv"
VALIDATION_FILENAME: Final = "test.csv"
# A bad key may re-read the key store at most this often: a flood of wrong keys must
# not turn into a flood of store reads (Secrets Manager calls cost money and quota).
DEFAULT_KEY_REFRESH_SECONDS: Final = 5.0
# Same lifetime Powertools gives cached secrets, so both backends drop revoked keys alike.
DEFAULT_KEY_TTL_SECONDS: Final = 300.0
# The largest valid prediction body is ~300 bytes; 64 KiB leaves room for paths.
DEFAULT_MAX_BODY_BYTES: Final = 64 * 1024

API_KEY_HEADER: Final = "API-key"
# The committed OpenAPI document, beside the package's modules (so in the Lambda zip too).
OPENAPI_FILENAME: Final = "openapi.json"
# A client that retries /start_training with the same value starts one run, not two.
IDEMPOTENCY_KEY_HEADER: Final = "Idempotency-Key"

# The ECS proxy (gunicorn) reads these; PORT is the container convention.
ENV_PORT: Final = "PORT"
ENV_BIND_HOST: Final = "PVP_BIND_HOST"
ENV_WORKERS: Final = "PVP_WORKERS"
ENV_ACCESS_LOG: Final = "PVP_ACCESS_LOG"
DEFAULT_PORT: Final = 8080
DEFAULT_BIND_HOST: Final = "127.0.0.1"
# One process per core: each reads HTTP on an event loop and runs the app one request at
# a time. On 2 cores, 2 gave the best throughput and tail; raise it with the task's vCPUs.
DEFAULT_WORKERS: Final = 2
# What a client may hold of a worker (ecs_proxy.limits): a slow or stalled client gets a
# 408 and loses its connection instead of holding one the others need.
ENV_HEADER_TIMEOUT_SECONDS: Final = "PVP_HEADER_TIMEOUT_SECONDS"
ENV_BODY_TIMEOUT_SECONDS: Final = "PVP_BODY_TIMEOUT_SECONDS"
ENV_KEEPALIVE_SECONDS: Final = "PVP_KEEPALIVE_SECONDS"
ENV_MAX_CONNECTIONS: Final = "PVP_MAX_CONNECTIONS"
ENV_MAX_HEADER_BYTES: Final = "PVP_MAX_HEADER_BYTES"
# The whole request head (line and headers) must arrive within this many seconds.
DEFAULT_HEADER_TIMEOUT_SECONDS: Final = 10.0
# The whole body (64 KiB at most) must arrive within this many seconds of the head.
DEFAULT_BODY_TIMEOUT_SECONDS: Final = 10.0
# Above the ALB's default idle timeout (60 s), so the balancer, not the task, closes an
# idle connection first: a task closing it first races a request and gives a 502.
DEFAULT_KEEPALIVE_SECONDS: Final = 75.0
# Open connections per worker process; beyond it a new one gets 503 and is closed.
DEFAULT_MAX_CONNECTIONS: Final = 1000
# Request line and headers together (h11's default); the largest valid head is ~1 KiB.
DEFAULT_MAX_HEADER_BYTES: Final = 16 * 1024
