"""The test invoker on the app, through this blueprint (chalice_app/app.py).

Chalice deploys it as `property-value-predictor-{stage}-test_invoker` (the old system's
`test-api-lambda-{stage}`), with its own role: its logs, and its network interfaces
where it runs in the stage's VPC (.chalice/policy-<stage>-test_invoker.json).
"""

from __future__ import annotations

import os
from typing import Any

from chalice.app import Blueprint

from chalice_app import observability
from contract.resources import TEST_INVOKER

invoker = Blueprint(__name__)


@invoker.lambda_function(name=TEST_INVOKER)
@observability.invocation
def test_invoker(event: Any, context: Any) -> dict[str, Any]:
    # Imported here: the API's cold start never pays for the invoker.
    from chalice_app.invoker import service
    from chalice_app.routing import published_routes

    routes = published_routes()
    seconds_left = context.get_remaining_time_in_millis() / 1000.0
    return service.invoke(event, routes, os.environ, seconds_left)
