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
# Sync workers, one request each at a time. On 2 cores, 2 gave the best throughput and
# tail (3 and 4 only add context switches); raise it with the task's vCPUs.
DEFAULT_WORKERS: Final = 2
