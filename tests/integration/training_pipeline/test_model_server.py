"""The model server as a real process (gunicorn): SageMaker's container contract and,
through botocore's own InvokeEndpoint, the sagemaker-runtime API's answers and errors."""

from __future__ import annotations

import http.client
import json
import socket
from typing import Any

import pytest

from benchmarks.socket_options import check_nodelay
from contract.resources import StageNames
from devtools.launch import RunningServer
from devtools.moto_stack import FAKE_CREDENTIALS, REGION
from tests.conftest import EXAMPLE_RECORD, TEST_STAGE
from tests.http_json import JSON_HEADERS, request_json

ENDPOINT = StageNames(TEST_STAGE).endpoint


@pytest.fixture(scope="module")
def runtime(model_server: RunningServer) -> Any:
    import boto3

    return boto3.session.Session(region_name=REGION).client(
        "sagemaker-runtime",
        endpoint_url=model_server.base_url,
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def test_container_contract_ping_and_invocations(model_server: RunningServer) -> None:
    assert request_json(model_server, "GET", "/ping") == (
        200,
        {"status": "ok", "model_version": "v0001"},
    )
    body = json.dumps(EXAMPLE_RECORD).encode()
    status, answer = request_json(model_server, "POST", "/invocations", body, JSON_HEADERS)
    assert status == 200 and answer["predictions"][0]["value"] > 0
    status, answer = request_json(model_server, "POST", "/invocations", b"{", JSON_HEADERS)
    assert status == 400 and "not JSON" in answer["error"]


def test_botocore_invoke_endpoint_gets_the_model_answer(runtime: Any) -> None:
    answer = runtime.invoke_endpoint(
        EndpointName=ENDPOINT,
        Body=json.dumps([EXAMPLE_RECORD, EXAMPLE_RECORD]),
        ContentType="application/json",
        Accept="application/json",
    )
    assert answer["InvokedProductionVariant"] == "AllTraffic"
    assert answer["ContentType"] == "application/json"
    predictions = json.loads(answer["Body"].read())["predictions"]
    assert len(predictions) == 2 and predictions[0] == predictions[1]


def test_an_unknown_endpoint_is_botocores_validation_error(runtime: Any) -> None:
    with pytest.raises(runtime.exceptions.ValidationError) as caught:
        runtime.invoke_endpoint(
            EndpointName="no-such-endpoint", Body=b"{}", ContentType="application/json"
        )
    assert "no-such-endpoint" in caught.value.response["Error"]["Message"]


def test_a_body_the_model_refuses_is_botocores_model_error(runtime: Any) -> None:
    with pytest.raises(runtime.exceptions.ModelError) as caught:
        runtime.invoke_endpoint(EndpointName=ENDPOINT, Body=b"[]", ContentType="application/json")
    response = caught.value.response
    assert response["Error"]["Code"] == "ModelError"
    assert response["OriginalStatusCode"] == 400
    assert "between 1 and" in json.loads(response["OriginalMessage"])["error"]
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 424


def test_one_connection_carries_many_invocations(model_server: RunningServer) -> None:
    # SageMaker's front keeps its connections open: each invocation must not pay a new one.
    conn = http.client.HTTPConnection(model_server.host, model_server.port, timeout=30)
    body = json.dumps(EXAMPLE_RECORD).encode()
    try:
        conn.request("POST", "/invocations", body, JSON_HEADERS)
        first = conn.getresponse()
        first.read()
        sock = conn.sock
        conn.request("POST", "/invocations", body, JSON_HEADERS)
        second = conn.getresponse()
        second.read()
        assert (first.status, second.status) == (200, 200)
        assert sock is not None and conn.sock is sock
    finally:
        conn.close()


def test_answers_leave_without_waiting_for_a_delayed_ack(model_server: RunningServer) -> None:
    # Without TCP_NODELAY a small answer written in two pieces waits ~40 ms for the
    # client's delayed ACK, on every keep-alive request.
    nodelay = check_nodelay(model_server.process.pid, model_server.host, model_server.port)
    if nodelay is None:
        pytest.skip("cannot read the server's socket here (ptrace is locked down)")
    assert nodelay is True


def test_a_body_over_sagemakers_payload_limit_is_refused_unread(
    model_server: RunningServer,
) -> None:
    head = b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 7340032\r\n\r\n"
    with socket.create_connection((model_server.host, model_server.port), timeout=30) as sock:
        sock.sendall(head)  # and none of the 7 MiB
        reply = b""
        while b"}" not in reply and (chunk := sock.recv(65536)):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 413 ")
    assert json.loads(reply.partition(b"\r\n\r\n")[2]) == {
        "error": "body larger than 6291456 bytes"
    }


def test_unknown_paths_and_methods_get_json_errors(model_server: RunningServer) -> None:
    status, answer = request_json(model_server, "GET", "/nowhere")
    assert status == 404 and "/nowhere" in answer["error"]
    status, answer = request_json(model_server, "GET", "/invocations")
    assert status == 405 and "POST" in answer["error"]
