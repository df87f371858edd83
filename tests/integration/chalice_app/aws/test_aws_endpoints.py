"""The endpoint's create and update when botocore retried them after a first try landed.

moto answers a second CreateEndpoint by replacing the endpoint and has no UpdateEndpoint,
so SageMaker's refusals come from botocore's Stubber, which holds each exact request.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from chalice_app.aws.clients import AwsClients, fixed
from chalice_app.aws.endpoints import SageMakerEndpoints

ENDPOINT = "property-value-regressor-serverless-endpoint-test"
ARN = f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{ENDPOINT}"
OURS, OTHER = "property-value-regressor-test-v0002", "property-value-regressor-test-v0001"
# SageMaker's words for a create or update that meets one already made.
EXISTS = f'Cannot create already existing endpoint "{ARN}".'
BUSY = f'Cannot update in-progress endpoint "{ARN}".'


def _described(status: str, config: str, pending: str | None = None) -> dict[str, Any]:
    now = datetime.now(UTC)
    found: dict[str, Any] = {
        "EndpointName": ENDPOINT,
        "EndpointArn": ARN,
        "EndpointConfigName": config,
        "EndpointStatus": status,
        "CreationTime": now,
        "LastModifiedTime": now,
    }
    if pending is not None:
        found["PendingDeploymentSummary"] = {"EndpointConfigName": pending}
    return found


def _refused_then_found(
    aws: AwsClients, call: str, message: str, described: dict[str, Any]
) -> tuple[Any, Stubber]:
    client = aws.get("sagemaker")
    stub = Stubber(client)
    stub.add_client_error(
        call,
        "ValidationException",
        message,
        expected_params={"EndpointName": ENDPOINT, "EndpointConfigName": OURS},
    )
    stub.add_response("describe_endpoint", described, {"EndpointName": ENDPOINT})
    stub.activate()
    return client, stub


@pytest.mark.parametrize(
    ("call", "message", "described"),
    [
        ("create_endpoint", EXISTS, _described("Creating", OURS)),
        ("create_endpoint", EXISTS, _described("InService", OURS)),
        ("update_endpoint", BUSY, _described("Updating", OTHER, pending=OURS)),
        ("update_endpoint", BUSY, _described("InService", OURS)),
    ],
)
def test_a_retry_refused_because_the_first_try_landed_is_a_success(
    aws: AwsClients, call: str, message: str, described: dict[str, Any]
) -> None:
    client, stub = _refused_then_found(aws, call, message, described)
    endpoints = SageMakerEndpoints(fixed(client), ENDPOINT)

    getattr(endpoints, call)(OURS)  # no error: the endpoint is heading to OURS

    stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("call", "message", "described"),
    [
        ("create_endpoint", EXISTS, _described("InService", OTHER)),
        ("update_endpoint", BUSY, _described("Updating", OURS, pending=OTHER)),
    ],
)
def test_the_same_refusal_for_another_config_is_a_failure(
    aws: AwsClients, call: str, message: str, described: dict[str, Any]
) -> None:
    client, stub = _refused_then_found(aws, call, message, described)
    endpoints = SageMakerEndpoints(fixed(client), ENDPOINT)

    with pytest.raises(ClientError, match="Cannot"):
        getattr(endpoints, call)(OURS)

    stub.assert_no_pending_responses()
