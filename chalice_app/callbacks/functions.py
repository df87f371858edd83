"""The pipeline's Lambda functions, on the app through this blueprint (chalice_app/app.py).

Thin: take the event, call the service (service.py), answer. Chalice deploys them as
`property-value-predictor-{stage}-{name}` (contract/resources.py names them for the
pipeline definition and the policies too); each has its own least-privilege role
(.chalice/policy-<stage>-<name>.json).
"""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalice_app import observability
from chalice_app.wiring import get_callbacks
from contract.resources import DEPLOY_CALLBACK, DEPLOY_WATCH, RECORD_REJECTION

pipeline = Blueprint(__name__)

# How often the watcher looks for a rollout nobody holds (a minute is a fraction of
# what a serverless endpoint takes to create or update).
WATCH_SCHEDULE = "rate(1 minute)"


def _remaining_seconds(context: Any) -> float:
    return float(context.get_remaining_time_in_millis()) / 1000.0


@pipeline.lambda_function(name=DEPLOY_CALLBACK)
@observability.invocation
def deploy_callback(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalice_app.callbacks import service  # here: the API's cold start never pays for it

    return service.deploy_accepted(get_callbacks(), event, _remaining_seconds(context))


@pipeline.lambda_function(name=RECORD_REJECTION)
@observability.invocation
def record_rejection(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalice_app.callbacks import service

    return service.record_rejection(get_callbacks(), event)


@observability.invocation
def _watch(event: Any, context: Any) -> dict[str, Any]:
    from chalice_app.callbacks import service

    return service.watch(get_callbacks(), _remaining_seconds(context))


@pipeline.schedule(WATCH_SCHEDULE, name=DEPLOY_WATCH)
def deploy_watch(event: Any) -> dict[str, Any]:
    return _watch(event, event.context)
