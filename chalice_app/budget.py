"""How long a prediction can take at worst, from the settings, against API Gateway's limit.

A prediction waits on AWS three times: the key read (when the keys' cache has expired),
the endpoint, the log write; a batch (POST /get_predictions) the same, its log writes
being BatchWriteItem calls that start only inside `PVP_BATCH_LOG_SECONDS`, and it works
on each row. Each call is bounded by its client's limits (config.
CallLimits): every try may wait the connect timeout and then the read timeout, and
botocore's standard retry mode sleeps before each retry. A prediction's worst case is
the sum, plus room for the handler's own work. It must end inside the API Lambda's
timeout (28 s in every stage: .chalice/config.json), which must end inside API
Gateway's 29 s integration limit, or the client gets a 504 while the Lambda still runs.

Limits of this bound: a read timeout bounds each socket read, not a whole answer (the
endpoint's answer is a few hundred bytes: one read), and DNS resolution is not under the
connect timeout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from chalice_app.config import AwsSettings, CallLimits
from contract.settings import ConfigurationError

# API Gateway REST integrations time out at 29 s:
# https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html
API_GATEWAY_LIMIT_SECONDS: Final = 29.0
# botocore's standard retry mode sleeps before retry i (1-based) at most
# min(base * 2 ** (i - 1), 20) s, the base being 1 s for throttling errors (less for the
# rest), plus up to 5 s more when the service sends x-amz-retry-after
# (https://docs.aws.amazon.com/boto3/latest/guide/retries.html; botocore/retries/
# standard.py, ExponentialBackoff). The bound takes the largest of each.
BACKOFF_BASE_SECONDS: Final = 1.0
BACKOFF_CAP_SECONDS: Final = 20.0
RETRY_AFTER_EXTRA_SECONDS: Final = 5.0
# What is not waiting on AWS: building the clients (20-150 ms each on a cold start),
# reading and validating the request, the answer, the metrics.
HANDLER_SECONDS: Final = 2.0
# A batch's own work per row on the API Lambda (parsing, validating, the answer, the
# log items): 0.44-0.63 ms measured here (python -m benchmarks.batch_capacity), times
# 1769/512 on a 512 MB Lambda, which gets a whole vCPU only at 1,769 MB.
BATCH_CPU_SECONDS_PER_ROW: Final = 0.0022


def backoff_seconds(retry: int) -> float:
    """The longest botocore sleeps before retry number `retry` (1 for the second try)."""
    exponential = min(BACKOFF_BASE_SECONDS * 2 ** (retry - 1), BACKOFF_CAP_SECONDS)
    return exponential + RETRY_AFTER_EXTRA_SECONDS


def call_seconds(limits: CallLimits) -> float:
    """The longest one call can take: every try timed out, every backoff at its cap."""
    tries = limits.max_attempts * (limits.connect_timeout + limits.read_timeout)
    return tries + sum(backoff_seconds(retry) for retry in range(1, limits.max_attempts))


@dataclass(frozen=True)
class Budget:
    parts: tuple[tuple[str, float], ...]

    @property
    def total(self) -> float:
        return sum(seconds for _, seconds in self.parts)

    def describe(self) -> str:
        return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.parts)


def _key_read(aws: AwsSettings) -> tuple[str, float]:
    from chalice_app.aws.keys import READ_CALLS

    return f"key read ({READ_CALLS} calls)", READ_CALLS * call_seconds(aws.prediction_call_limits)


def prediction_budget(aws: AwsSettings) -> Budget:
    """The worst case of POST /get_prediction on the AWS backend, part by part."""
    return Budget(
        (
            _key_read(aws),
            ("endpoint", call_seconds(aws.endpoint_limits)),
            ("log write", call_seconds(aws.prediction_call_limits)),
            ("handler", HANDLER_SECONDS),
        )
    )


def batch_budget(aws: AwsSettings, rows: int) -> Budget:
    """The worst case of POST /get_predictions with `rows` rows: one InvokeEndpoint (its
    read timeout also covers the model's time for the rows, ~0.1 s per 1,000), the log
    writes (batch_writes.worst_seconds), and the rows' own work."""
    from chalice_app.aws.batch_writes import worst_seconds

    return Budget(
        (
            _key_read(aws),
            ("endpoint", call_seconds(aws.endpoint_limits)),
            (
                "log writes",
                worst_seconds(aws.batch_log_seconds, call_seconds(aws.prediction_call_limits)),
            ),
            (f"{rows} rows' work", rows * BATCH_CPU_SECONDS_PER_ROW),
            ("handler", HANDLER_SECONDS),
        )
    )


def check_prediction_budget(aws: AwsSettings, max_batch_rows: int) -> tuple[Budget, Budget]:
    """Both routes' budgets; ConfigurationError when either could outlast API Gateway."""
    single, batch = prediction_budget(aws), batch_budget(aws, max_batch_rows)
    for route, budget in (("/get_prediction", single), ("/get_predictions", batch)):
        if budget.total >= API_GATEWAY_LIMIT_SECONDS:
            raise ConfigurationError(
                f"{route} could take {budget.total:.1f} s ({budget.describe()}), not under "
                f"API Gateway's {API_GATEWAY_LIMIT_SECONDS:.0f} s: lower PVP_ENDPOINT_TIMEOUT, "
                "PVP_ENDPOINT_MAX_ATTEMPTS, PVP_PREDICTION_READ_TIMEOUT, "
                "PVP_AWS_CONNECT_TIMEOUT, PVP_BATCH_LOG_SECONDS or PVP_MAX_BATCH_ROWS"
            )
    return single, batch
