"""The API keys' rotation function, on the app through this blueprint (chalice_app/app.py).

Thin: Secrets Manager's event in, the step done by the service (service.py), an answer
naming the step (never a key). Chalice deploys it as `property-value-predictor-{stage}-
rotate_api_keys` with its own least-privilege role (.chalice/policy-<stage>-
rotate_api_keys.json); the stacks give Secrets Manager the right to invoke it and the
secret its RotationSchedule.
"""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalice_app import observability
from chalice_app.wiring import get_rotation
from contract.resources import ROTATE_API_KEYS

rotation = Blueprint(__name__)


@rotation.lambda_function(name=ROTATE_API_KEYS)
@observability.invocation
def rotate_api_keys(event: dict[str, Any], context: Any) -> dict[str, str]:
    return get_rotation().run(event)
