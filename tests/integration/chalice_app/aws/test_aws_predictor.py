"""The endpoint predictor against moto_server (DescribeEndpoint) and the model server
(InvokeEndpoint), both real processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalice_app.aws.clients import AwsClients
from chalice_app.aws.predictor import EndpointPredictor, unavailable_reason
from chalice_app.config import load_aws_settings
from chalice_app.errors import ModelUnavailableError, UnknownCategoryError
from chalice_app.local.predictor import LocalPredictor
from chalice_app.ports import BatchPrediction
from devtools.launch import free_port
from tests.aws_calls import CallCounter
from tests.conftest import EXAMPLE_RECORD, AwsStack, environ


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clients(aws_stack: AwsStack) -> Iterator[AwsClients]:
    with environ(aws_stack.env):
        yield AwsClients(aws_stack.settings)


def _predictor(clients: AwsClients, endpoint: str, clock: Clock | None = None) -> EndpointPredictor:
    return EndpointPredictor(
        clients.source("sagemaker-runtime"),
        clients.source("sagemaker"),
        endpoint,
        status_seconds=10,
        clock=clock or Clock(),
    )


def test_predictions_come_from_the_endpoint_with_the_local_models_values(
    clients: AwsClients, aws_stack: AwsStack, trained_home: Path
) -> None:
    predictor = _predictor(clients, aws_stack.settings.endpoint_name)
    prediction = predictor.predict(EXAMPLE_RECORD)
    assert prediction == LocalPredictor(trained_home).predict(EXAMPLE_RECORD)
    with pytest.raises(UnknownCategoryError) as caught:
        predictor.predict({**EXAMPLE_RECORD, "sector": "Marte"})
    assert caught.value.column == "sector" and "providencia" in caught.value.known


def test_a_batch_is_one_invocation_with_the_local_models_values(
    clients: AwsClients, aws_stack: AwsStack, trained_home: Path
) -> None:
    predictor = _predictor(clients, aws_stack.settings.endpoint_name)
    records = [EXAMPLE_RECORD, {**EXAMPLE_RECORD, "sector": "Marte"}] * 300
    invokes = CallCounter(clients.get("sagemaker-runtime"), "InvokeEndpoint")
    batch = predictor.predict_many(records)
    assert invokes.calls == 1
    local = LocalPredictor(trained_home).predict_many(records)
    assert _comparable(batch) == _comparable(local)
    assert batch.model_version == "v0001" and len(batch.results) == 600
    priced, unknown = batch.results[:2]
    assert priced == predictor.predict(EXAMPLE_RECORD)
    assert isinstance(unknown, UnknownCategoryError) and unknown.value == "Marte"


def _comparable(batch: BatchPrediction) -> list[Any]:
    # Errors compare by identity: compare what they say.
    return [
        (r.column, r.value, r.known) if isinstance(r, UnknownCategoryError) else r
        for r in batch.results
    ]


def test_ping_reads_the_deployed_version_without_invoking_and_caches_it(
    clients: AwsClients, aws_stack: AwsStack
) -> None:
    clock = Clock()
    predictor = _predictor(clients, aws_stack.settings.endpoint_name, clock)
    describes = CallCounter(clients.get("sagemaker"), "DescribeEndpoint")
    invokes = CallCounter(clients.get("sagemaker-runtime"), "InvokeEndpoint")
    assert [predictor.model_version() for _ in range(50)] == ["v0001"] * 50
    assert describes.calls == 1 and invokes.calls == 0
    clock.now += 10
    predictor.model_version()
    assert describes.calls == 2


def test_a_missing_endpoint_is_unavailable_for_predictions_and_ping(clients: AwsClients) -> None:
    predictor = _predictor(clients, "no-such-endpoint")
    for ask in (lambda: predictor.predict(EXAMPLE_RECORD), predictor.model_version):
        with pytest.raises(ModelUnavailableError) as caught:
            ask()
        assert "no-such-endpoint does not exist" in str(caught.value)


def test_an_unreachable_endpoint_is_unavailable_not_a_crash(aws_stack: AwsStack) -> None:
    env = {**aws_stack.env, "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": f"http://127.0.0.1:{free_port()}"}
    env["PVP_ENDPOINT_MAX_ATTEMPTS"] = "1"
    with environ(env):
        clients = AwsClients(load_aws_settings(env))
        with pytest.raises(ModelUnavailableError) as caught:
            _predictor(clients, aws_stack.settings.endpoint_name).predict(EXAMPLE_RECORD)
    assert "did not answer" in str(caught.value)


@pytest.mark.parametrize(
    ("code", "message", "says"),
    [
        ("ModelNotReadyException", "Model is not ready", "not ready (cold start"),
        ("ThrottlingException", "Rate exceeded", "throttled"),
        ("ServiceUnavailable", "", "throttled or unavailable"),
        ("ValidationError", "Endpoint x of account 1 not found.", "does not exist"),
        ("ModelError", "Received client error (400)", "refused the request"),
    ],
)
def test_every_endpoint_failure_has_a_reason_an_operator_can_act_on(
    code: str, message: str, says: str
) -> None:
    # Cold and throttled endpoints cannot be produced on moto or the model server: the
    # reasons are checked on the error codes botocore would raise.
    assert says in unavailable_reason("x", code, message)
