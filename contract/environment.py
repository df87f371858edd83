"""Every environment variable the processes read: name, default, rule and why.

Read through `Setting.read` by whoever needs one (each process once, at start);
`python -m contract.configuration_table` renders this module as docs/configuration.md,
and a test fails when that file is stale.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Final

from contract.resources import DEFAULT_STAGE, STAGE_PATTERN, STAGE_RULE
from contract.settings import (
    ConfigurationError,
    Setting,
    flag,
    integer,
    number,
    one_of,
    optional_text,
    text,
)

EVERY_PROCESS: Final = "Every API process (Lambda, ECS task, `make run`)"
LOCAL: Final = "Local backend (`PVP_BACKEND=local`)"
AWS: Final = "AWS backend (`PVP_BACKEND=aws`)"
DEPLOY: Final = "Deploy callback and watcher (the pipeline's Lambda functions)"
SERVER: Final = "ECS proxy server (`python -m ecs_proxy`, `make run`)"
TRAINING: Final = "Training pipeline and model image"
OPERATOR: Final = "SageMaker pipeline commands (`python -m training_pipeline sagemaker ...`)"
INVOKER: Final = "Test invoker (the `test_invoker` Lambda function)"
DEV: Final = "Dev tooling (`make run-moto`)"
ANALYTICS: Final = "Analytics functions (the nightly export and drift jobs on AWS)"

BACKEND_LOCAL: Final = "local"
BACKEND_AWS: Final = "aws"
# The AWS SDK's own variables, read in this order: the region every AWS call uses.
REGION_VARIABLES: Final = ("AWS_REGION", "AWS_DEFAULT_REGION")

BACKEND: Final = Setting(
    "PVP_BACKEND",
    BACKEND_LOCAL,
    one_of(BACKEND_LOCAL, BACKEND_AWS),
    "Which adapters serve: the embedded ones, or AWS's.",
    EVERY_PROCESS,
    rule="local or aws",
)
STAGE: Final = Setting[str | None](
    "PVP_STAGE",
    None,
    optional_text(STAGE_PATTERN.pattern, STAGE_RULE),
    "The stage: it names every AWS resource and tags every log line and metric.",
    EVERY_PROCESS,
    shown_default=f"{DEFAULT_STAGE} on AWS, local on the local backend",
    rule=STAGE_RULE,
)
KEY_REFRESH_SECONDS: Final = Setting(
    "PVP_KEY_REFRESH_SECONDS",
    5.0,
    number(minimum=0),
    "A wrong key re-reads the key store at most this often, so a flood of bad keys is "
    "not a flood of key store reads.",
    EVERY_PROCESS,
    rule=">= 0",
)
KEY_TTL_SECONDS: Final = Setting(
    "PVP_KEY_TTL_SECONDS",
    300.0,
    number(minimum=0),
    "How long accepted keys are cached: a revoked key stops working within this time.",
    EVERY_PROCESS,
    rule=">= 0",
)
MAX_BODY_BYTES: Final = Setting(
    "PVP_MAX_BODY_BYTES",
    64 * 1024,
    integer(minimum=1),
    "Largest request body (413 above it); the largest valid prediction body is ~300 bytes.",
    EVERY_PROCESS,
    rule=">= 1",
)
# The most records one invocation of the model server scores as JSON
# (training_pipeline/steps/serve.py): a /get_predictions batch is one invocation on AWS.
MODEL_SERVER_MAX_RECORDS: Final = 10_000
MAX_BATCH_ROWS: Final = Setting(
    "PVP_MAX_BATCH_ROWS",
    1000,
    integer(minimum=1, maximum=MODEL_SERVER_MAX_RECORDS),
    "Most properties in one /get_predictions request (422 above it).",
    EVERY_PROCESS,
    rule=f"1-{MODEL_SERVER_MAX_RECORDS}",
)
# Lambda takes at most 6 MB of synchronous request payload, the API Gateway event around
# the body included: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
MAX_BATCH_BODY_LIMIT: Final = 5 * 1024 * 1024
MAX_BATCH_BODY_BYTES: Final = Setting(
    "PVP_MAX_BATCH_BODY_BYTES",
    1024 * 1024,
    integer(minimum=1, maximum=MAX_BATCH_BODY_LIMIT),
    "Largest /get_predictions body (413 above it); 1,000 properties are ~160 KB compact.",
    EVERY_PROCESS,
    rule=f"1-{MAX_BATCH_BODY_LIMIT}",
)

HOME: Final = Setting(
    "PVP_HOME",
    ".pvp",
    text(),
    "The local state directory: registry, runs, prediction log, key file, sample data.",
    LOCAL,
    shown_default=".pvp in the working directory (make: the repository's .pvp/)",
)
KEY_FILE: Final = Setting[str | None](
    "PVP_KEY_FILE",
    None,
    optional_text(),
    'The API key file, a JSON object {"client name": "key", ...}.',
    LOCAL,
    shown_default="$PVP_HOME/api-keys.json",
)
TRAIN_PATH: Final = Setting[str | None](
    "PVP_TRAIN_PATH",
    None,
    optional_text(),
    "The training data /start_training uses when the request names none.",
    EVERY_PROCESS,
    shown_default="$PVP_HOME/sample/train.csv locally; s3://$PVP_BUCKET/data/training_data/"
    "train.csv on AWS",
)
VALIDATION_PATH: Final = Setting[str | None](
    "PVP_VALIDATION_PATH",
    None,
    optional_text(),
    "The validation data /start_training uses when the request names none.",
    EVERY_PROCESS,
    shown_default="$PVP_HOME/sample/test.csv locally; s3://$PVP_BUCKET/data/validation_data/"
    "test.csv on AWS",
)
DATA_DIRS: Final = Setting[str | None](
    "PVP_DATA_DIRS",
    None,
    optional_text(),
    "Directories (separated by the OS path separator) a client may name training files "
    "in; links are followed before the check.",
    LOCAL,
    shown_default="$PVP_HOME/data and $PVP_HOME/sample",
)
MAX_TRAINING_RUNS: Final = Setting(
    "PVP_MAX_TRAINING_RUNS",
    1,
    integer(minimum=1),
    "Training runs at once; one already takes a core and ~150 MB on the sample.",
    LOCAL,
    rule=">= 1",
)

BUCKET: Final = Setting[str | None](
    "PVP_BUCKET",
    None,
    optional_text(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", "an S3 bucket name"),
    "The stage's bucket: training data, pipeline artifacts, models.",
    AWS,
    shown_default="property-value-predictor-data-{stage}",
)
SECRET_NAME: Final = Setting[str | None](
    "PVP_SECRET_NAME",
    None,
    optional_text(),
    "The Secrets Manager secret holding the API keys.",
    AWS,
    shown_default="property-value-predictor-api-keys-{stage}",
)
PREDICTION_TABLE: Final = Setting[str | None](
    "PVP_PREDICTION_TABLE",
    None,
    optional_text(),
    "The DynamoDB table every prediction is logged in.",
    AWS,
    shown_default="inference-results-logging-table-{stage}",
)
RUN_TABLE: Final = Setting[str | None](
    "PVP_RUN_TABLE",
    None,
    optional_text(),
    "The DynamoDB table of training runs (and idempotency keys, the endpoint's rollout).",
    AWS,
    shown_default="training-pipeline-results-{stage}",
)
PIPELINE_NAME: Final = Setting[str | None](
    "PVP_PIPELINE_NAME",
    None,
    optional_text(),
    "The SageMaker pipeline /start_training starts.",
    AWS,
    shown_default="property-evaluator-training-{stage}",
)
ENDPOINT_NAME: Final = Setting[str | None](
    "PVP_ENDPOINT_NAME",
    None,
    optional_text(),
    "The SageMaker serverless endpoint that prices.",
    AWS,
    shown_default="property-value-regressor-serverless-endpoint-{stage}",
)
KEY_GRACE_SECONDS: Final = Setting(
    "PVP_KEY_GRACE_SECONDS",
    24 * 3600.0,
    number(minimum=0),
    "AWSPREVIOUS keys stay valid this long after a rotation, so no client is locked out "
    "before it picks up its new key.",
    AWS,
    rule=">= 0",
)
AWS_CONNECT_TIMEOUT: Final = Setting(
    "PVP_AWS_CONNECT_TIMEOUT",
    1.0,
    number(above=0),
    "Connect timeout of every AWS call, seconds (in-region connections take milliseconds).",
    AWS,
    rule="> 0",
)
AWS_READ_TIMEOUT: Final = Setting(
    "PVP_AWS_READ_TIMEOUT",
    2.0,
    number(above=0),
    "Read timeout of every AWS call but a prediction's own, seconds.",
    AWS,
    rule="> 0",
)
PREDICTION_READ_TIMEOUT: Final = Setting(
    "PVP_PREDICTION_READ_TIMEOUT",
    1.0,
    number(above=0),
    "Read timeout of a prediction's key reads and log writes (one try each), seconds: "
    "their answers are small and come in milliseconds, and each has a way out (the keys "
    "read before; the recoverable log line), so they get little of the time budget.",
    AWS,
    rule="> 0",
)
AWS_MAX_ATTEMPTS: Final = Setting(
    "PVP_AWS_MAX_ATTEMPTS",
    3,
    integer(minimum=1),
    "Tries of every AWS call but a prediction's (botocore's standard retry mode). A "
    "prediction's key reads and log write get one try each, its endpoint call "
    "PVP_ENDPOINT_MAX_ATTEMPTS: their worst case must end inside API Gateway's 29 s.",
    AWS,
    rule=">= 1",
)
ENDPOINT_TIMEOUT: Final = Setting(
    "PVP_ENDPOINT_TIMEOUT",
    12.0,
    number(above=0),
    "Read timeout of InvokeEndpoint, seconds: room for a serverless cold start. A process "
    "refuses settings whose prediction could outlast API Gateway's 29 s "
    "(chalice_app/budget.py).",
    AWS,
    rule="> 0",
)
ENDPOINT_MAX_ATTEMPTS: Final = Setting(
    "PVP_ENDPOINT_MAX_ATTEMPTS",
    1,
    integer(minimum=1),
    "Tries of InvokeEndpoint. A second would add a timeout and botocore's backoff, which "
    "do not fit inside API Gateway's 29 s with a cold start's timeout: the client gets 503 "
    "and retries.",
    AWS,
    rule=">= 1",
)
BATCH_LOG_SECONDS: Final = Setting(
    "PVP_BATCH_LOG_SECONDS",
    2.0,
    number(above=0),
    "A /get_predictions batch starts no log write (BatchWriteItem, 25 items a call) after "
    "this many seconds; entries still unwritten leave as recoverable log lines. With one "
    "call's own worst case, this is the log's share of the batch's time budget.",
    AWS,
    rule="> 0",
)
ENDPOINT_STATUS_SECONDS: Final = Setting(
    "PVP_ENDPOINT_STATUS_SECONDS",
    10.0,
    number(minimum=0),
    "/ping reads the endpoint's state (DescribeEndpoint) at most this often per process.",
    AWS,
    rule=">= 0",
)
IDEMPOTENCY_HOURS: Final = Setting(
    "PVP_IDEMPOTENCY_HOURS",
    24.0,
    number(above=0),
    "How long /start_training remembers a client's Idempotency-Key: a retry within it is "
    "the same run; the same key after it starts a new one (DynamoDB's TTL then deletes the "
    "record, within days).",
    AWS,
    rule="> 0",
)

# Serverless endpoints take 1-6 GiB in 1 GiB steps and up to 200 concurrent requests.
ENDPOINT_MEMORY_CHOICES: Final = (1024, 2048, 3072, 4096, 5120, 6144)
ENDPOINT_MEMORY_MB: Final = Setting(
    "PVP_ENDPOINT_MEMORY_MB",
    2048,
    integer(choices=ENDPOINT_MEMORY_CHOICES),
    "Memory of the serverless endpoint a deploy configures.",
    DEPLOY,
    rule="1024, 2048, ... 6144",
)
ENDPOINT_MAX_CONCURRENCY: Final = Setting(
    "PVP_ENDPOINT_MAX_CONCURRENCY",
    5,
    integer(minimum=1, maximum=200),
    "Concurrent invocations of the serverless endpoint a deploy configures.",
    DEPLOY,
    rule="1-200",
)
DEPLOY_KEEP: Final = Setting(
    "PVP_DEPLOY_KEEP",
    3,
    integer(minimum=2),
    "Endpoint configs and models kept: the serving one, the previous (the rollback "
    "target) and more.",
    DEPLOY,
    rule=">= 2",
)
DEPLOY_WAIT_SECONDS: Final = Setting(
    "PVP_DEPLOY_WAIT_SECONDS",
    420.0,
    number(minimum=0),
    "How long the deploy callback waits for the endpoint before leaving the rollout to "
    "the watcher (a pipeline Lambda step gives up after 10 minutes).",
    DEPLOY,
    rule=">= 0",
)
DEPLOY_POLL_SECONDS: Final = Setting(
    "PVP_DEPLOY_POLL_SECONDS",
    15.0,
    number(minimum=0),
    "How often a rollout looks at the endpoint (0: at once again; tests).",
    DEPLOY,
    rule=">= 0",
)
SAGEMAKER_ROLE_ARN: Final = Setting[str | None](
    "PVP_SAGEMAKER_ROLE_ARN",
    None,
    optional_text(r"arn:aws[a-z-]*:iam::\d{12}:role/.+", "an IAM role ARN"),
    "The role SageMaker runs the pipeline's jobs and the served model as (the deploy "
    "callback and the pipeline commands read it).",
    DEPLOY,
    shown_default="arn:aws:iam::{account}:role/property-value-predictor-sagemaker-{stage}",
)

PORT: Final = Setting(
    "PORT",
    8080,
    integer(minimum=1, maximum=65535),
    "The port the proxy listens on (the container convention).",
    SERVER,
    rule="1-65535",
)
BIND_HOST: Final = Setting(
    "PVP_BIND_HOST",
    "127.0.0.1",
    text(),
    "The address the proxy listens on: loopback unless told (the image sets 0.0.0.0).",
    SERVER,
)
WORKERS: Final = Setting(
    "PVP_WORKERS",
    2,
    integer(minimum=1),
    "Worker processes, each serving one request at a time as Chalice's app needs; one per core.",
    SERVER,
    rule=">= 1",
)
ACCESS_LOG: Final = Setting(
    "PVP_ACCESS_LOG",
    False,
    flag,
    "One access log line per request on stdout.",
    SERVER,
    rule="on/off",
)
HEADER_TIMEOUT_SECONDS: Final = Setting(
    "PVP_HEADER_TIMEOUT_SECONDS",
    10.0,
    number(above=0),
    "The whole request head must arrive within this time (408 after).",
    SERVER,
    rule="> 0",
)
BODY_TIMEOUT_SECONDS: Final = Setting(
    "PVP_BODY_TIMEOUT_SECONDS",
    10.0,
    number(above=0),
    "The whole body must arrive within this time of the head (408 after).",
    SERVER,
    rule="> 0",
)
KEEPALIVE_SECONDS: Final = Setting(
    "PVP_KEEPALIVE_SECONDS",
    75.0,
    number(above=0),
    "Idle keep-alive connections close after this: above the ALB's 60 s idle timeout, so "
    "the balancer closes first and never races a request into a closing socket (502).",
    SERVER,
    rule="> 0",
)
MAX_CONNECTIONS: Final = Setting(
    "PVP_MAX_CONNECTIONS",
    1000,
    integer(minimum=1),
    "Open connections per worker; beyond it a new one gets 503 and is closed.",
    SERVER,
    rule=">= 1",
)
MAX_HEADER_BYTES: Final = Setting(
    "PVP_MAX_HEADER_BYTES",
    16 * 1024,
    integer(minimum=1),
    "Request line and headers together; the largest valid head is ~1 KiB.",
    SERVER,
    rule=">= 1",
)

MODEL_PARAMS: Final = Setting[str | None](
    "PVP_MODEL_PARAMS",
    None,
    optional_text(),
    'JSON object overriding model parameters for runs others start, e.g. {"iterations": 200}.',
    TRAINING,
    shown_default="the model's own defaults",
)
OPT_ML: Final = Setting(
    "PVP_OPT_ML",
    "/opt/ml",
    text(),
    "Root of the layout SageMaker mounts into the model image (tests move it).",
    TRAINING,
)
MODEL_VERSION: Final = Setting[str | None](
    "PVP_MODEL_VERSION",
    None,
    optional_text(),
    "The version the model server reports; the deploy sets it on the SageMaker Model.",
    TRAINING,
    shown_default="model-version.txt beside the model, else a hash of its file",
)

ACCOUNT_ID: Final = Setting[str | None](
    "PVP_AWS_ACCOUNT_ID",
    None,
    optional_text(r"\d{12}", "a 12-digit AWS account id"),
    "The account the pipeline's ARNs name.",
    OPERATOR,
    shown_default="the caller's (STS) on upsert; 123456789012 for the offline definition",
)
TRAINING_IMAGE_URI: Final = Setting[str | None](
    "PVP_TRAINING_IMAGE_URI",
    None,
    optional_text(),
    "The model image the pipeline's jobs run.",
    OPERATOR,
    shown_default="{account}.dkr.ecr.{region}.amazonaws.com/property-value-predictor-training:"
    "{stage}",
)

API_URL: Final = Setting[str | None](
    "PVP_API_URL",
    None,
    optional_text(r"https?://[^/?#\s]+(/[^?#\s]*)?", "an http:// or https:// URL without query"),
    "Where the test invoker calls the stage's API: the internal ALB's URL where the stage "
    "has the ECS front, else the API Gateway stage URL. The stack sets it.",
    INVOKER,
    shown_default="(none: the invoker answers that it is not configured)",
    rule="an http:// or https:// URL",
)
DRIFT_DAYS: Final = Setting(
    "PVP_DRIFT_DAYS",
    7,
    integer(minimum=1, maximum=90),
    "Days of logged inputs the nightly drift job compares with the training data.",
    ANALYTICS,
    rule="1-90",
)
ANALYTICS_INSTANCE_TYPE: Final = Setting(
    "PVP_ANALYTICS_INSTANCE_TYPE",
    "ml.t3.medium",
    text(r"ml\.[a-z0-9]+\.[a-z0-9]+", "a SageMaker instance type"),
    "The instance the export and drift processing jobs run on (2 vCPU, 4 GiB by default: "
    "a day of the log is read and written in 50,000-row groups).",
    ANALYTICS,
)

MOTO_PORT: Final = Setting(
    "MOTO_PORT",
    5000,
    integer(minimum=1, maximum=65535),
    "The port moto_server listens on (127.0.0.1).",
    DEV,
    rule="1-65535",
)

ALL: Final = tuple(value for value in list(globals().values()) if isinstance(value, Setting))


def region_of(env: Mapping[str, str]) -> str:
    """The AWS region, as the SDK reads it; ConfigurationError when none is set."""
    region = next((env[name] for name in REGION_VARIABLES if env.get(name)), "")
    if not region:
        raise ConfigurationError(f"no AWS region: set {REGION_VARIABLES[1]}")
    return region


def home_of(env: Mapping[str, str]) -> Path:
    """$PVP_HOME, absolute now, so a later chdir cannot move it."""
    return Path(HOME.read(env)).expanduser().resolve()


def server_body_limit(env: Mapping[str, str]) -> int:
    """The largest body any route takes: what a front's server must admit (each route
    then holds its own limit); ConfigurationError when a limit is wrong."""
    return max(MAX_BODY_BYTES.read(env), MAX_BATCH_BODY_BYTES.read(env))
