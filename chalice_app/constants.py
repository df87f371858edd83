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

BACKEND_LOCAL: Final = "local"
BACKEND_AWS: Final = "aws"
BACKENDS: Final = (BACKEND_LOCAL, BACKEND_AWS)

DEFAULT_BACKEND: Final = BACKEND_LOCAL
KEY_FILENAME: Final = "api-keys.json"
PREDICTION_LOG_FILENAME: Final = "predictions.sqlite"
SAMPLE_DIRNAME: Final = "sample"
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
