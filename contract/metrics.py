"""The metrics the app writes and the alarms and dashboard read: one owner for each name.

The app writes them as EMF in `METRICS_NAMESPACE` (chalice_app/observability.py), with
the default dimensions `service` and `stage`; infra/alarms.yaml and the dashboard are
rendered from these same names, so a renamed metric cannot leave an alarm watching
nothing. SageMaker's own endpoint metrics are AWS's names, written down here once.
"""

from __future__ import annotations

from typing import Final

# Every metric of the app carries these two dimensions (Powertools' default dimensions).
SERVICE_DIMENSION: Final = "service"
STAGE_DIMENSION: Final = "stage"

# An answered prediction the log could not take.
UNLOGGED_PREDICTION: Final = "prediction_log_write_failed"
# Each priced row, and the time one /get_prediction took (the p99 alarm reads it).
PREDICTIONS: Final = "predictions"
PREDICTION_LATENCY: Final = "prediction_latency"
# One metric for every error answer, its kind a dimension (the exception's class, or
# "unhandled"): one alarm covers all, and a new kind needs no new metric.
ERRORS: Final = "errors"
ERROR_DIMENSION: Final = "error"
# Every answer the app gives, by the front that carried it and its status class: the
# 5xx and 503 alarms read it (the fronts' own metrics cannot tell a 503 apart).
ANSWERS: Final = "answers"
FRONT_DIMENSION: Final = "front"
STATUS_CLASS_DIMENSION: Final = "status_class"
FRONT_LAMBDA: Final = "lambda"  # API Gateway -> Lambda
FRONT_ECS: Final = "ecs"  # the ALB -> the ECS proxy (and the proxy anywhere: make run)
FRONTS: Final = (FRONT_LAMBDA, FRONT_ECS)
# The status classes an alarm reads (`status_class` makes every one).
UNAVAILABLE_CLASS: Final = "503"
SERVER_ERROR_CLASS: Final = "5xx"
STATUS_CLASSES: Final = ("2xx", "3xx", "4xx", SERVER_ERROR_CLASS, UNAVAILABLE_CLASS)
# How long the endpoint's current rollout has been running, written by the deploy
# watcher each minute while one is (none: no rollout, no data).
ROLLOUT_AGE: Final = "rollout_age"
# A rollout still running this long after it started is stuck: creating or updating a
# serverless endpoint takes minutes, and a failed update rolled back (delete, then
# create on the previous config) about twice that; 45 minutes is well past both. The
# watcher warns past it and the alarm on ROLLOUT_AGE fires past it.
ROLLOUT_DEADLINE_SECONDS: Final = 45 * 60
# Powertools' documented name and dimension for a function's cold starts.
COLD_START: Final = "ColdStart"
FUNCTION_DIMENSION: Final = "function_name"

# SageMaker's own endpoint metrics: namespace `AWS/SageMaker`, dimensions EndpointName and
# VariantName. A serverless endpoint publishes Invocations, Invocation4XXErrors,
# Invocation5XXErrors, ModelLatency (microseconds), OverheadLatency (cold starts
# included), ModelSetupTime and MemoryUtilization, and nothing else of the instance
# metrics: https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints-monitoring.html
# and https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html
SAGEMAKER_NAMESPACE: Final = "AWS/SageMaker"
ENDPOINT_DIMENSION: Final = "EndpointName"
VARIANT_DIMENSION: Final = "VariantName"
ENDPOINT_INVOCATIONS: Final = "Invocations"
ENDPOINT_5XX: Final = "Invocation5XXErrors"
ENDPOINT_MODEL_LATENCY: Final = "ModelLatency"
ENDPOINT_OVERHEAD_LATENCY: Final = "OverheadLatency"


def status_class(status: int) -> str:
    """`2xx`, `4xx`, `5xx`... with 503 a class of its own: the service cannot answer now
    (no endpoint serving, keys unreadable), a different page for an operator than a
    fault in the code. So `5xx` counts every 5xx but 503."""
    return UNAVAILABLE_CLASS if status == 503 else f"{status // 100}xx"
