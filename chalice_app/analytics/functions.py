"""The analytics functions, on the app through this blueprint (chalice_app/app.py).

Thin: take the event, call the service (service.py), answer. Each has its own
least-privilege role (.chalice/policy-<stage>-<name>.json).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalice.app import Blueprint

from chalice_app import observability
from contract.resources import ANALYTICS_SCHEDULE, APP_NAME, DRIFT_METRICS

analytics = Blueprint(__name__)

# 01:15 UTC: yesterday is over everywhere the API stamps (UTC), with room for stragglers.
NIGHTLY = "cron(15 1 * * ? *)"
# Every completed processing job of this app; the function keeps its own stage's drift
# jobs (a pattern is fixed when the app is packaged, before any stage is known).
DRIFT_DONE = {
    "source": ["aws.sagemaker"],
    "detail-type": ["SageMaker Processing Job State Change"],
    "detail": {
        "ProcessingJobStatus": ["Completed"],
        "ProcessingJobName": [{"prefix": f"{APP_NAME}-"}],
    },
}


def _account(context: Any) -> str:
    """The account the function runs in: its ARN's fifth field."""
    return str(context.invoked_function_arn).split(":")[4]


@analytics.schedule(NIGHTLY, name=ANALYTICS_SCHEDULE)
def analytics_schedule(event: Any) -> dict[str, Any]:
    from chalice_app.analytics.service import start_nightly
    from chalice_app.wiring import build_analytics

    context = event.context
    with observability.request(getattr(context, "aws_request_id", None)):
        return start_nightly(build_analytics(_account(context)), datetime.now(UTC))


@analytics.on_cw_event(DRIFT_DONE, name=DRIFT_METRICS)
def drift_metrics(event: Any) -> dict[str, Any]:
    from chalice_app.analytics.service import publish_drift
    from chalice_app.wiring import analytics_access

    with observability.request(getattr(event.context, "aws_request_id", None)):
        aws, clients = analytics_access()
        return publish_drift(clients.source("s3"), aws.bucket, aws.names, event.detail)
