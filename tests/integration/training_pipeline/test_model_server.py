"""The model server as a real process (gunicorn): SageMaker's container contract and,
through botocore's own InvokeEndpoint, the sagemaker-runtime API's answers and errors."""

from __future__ import annotations

import csv
import http.client
import io
import json
import socket
from pathlib import Path
from typing import Any

import pytest

from benchmarks.socket_options import check_nodelay
from contract.resources import StageNames
from devtools.launch import RunningServer
from devtools.moto_stack import FAKE_CREDENTIALS, REGION
from tests.conftest import EXAMPLE_RECORD, TEST_STAGE, run_cli
from tests.http_json import JSON_HEADERS, request_json
from training_pipeline.schema import FEATURES
from training_pipeline.steps.batch_csv import ANSWER_COLUMNS

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


def test_batch_transform_lines_are_scored_as_local_predict_scores_the_file(
    model_server: RunningServer, sample_dir: Path, trained_home: Path, tmp_path: Path
) -> None:
    # GIVEN the sample's test data as Batch Transform sends it (ContentType text/csv,
    # SplitType Line, MultiRecord): header and lines, each cut to the model's columns by
    # the job's InputFilter; a few lines the model cannot score among them
    source = (sample_dir / "test.csv").read_text().splitlines()[:300]
    lines = [",".join(line.split(",")[: len(FEATURES)]) for line in source]
    lines[5] = lines[5].replace(lines[5].split(",")[1], "marte", 1)
    lines[9] = lines[9].replace(lines[9].split(",")[2], "ninety", 1)
    body = ("\n".join(lines) + "\n").encode()
    # WHEN the container is asked, as Batch Transform asks it
    conn = http.client.HTTPConnection(model_server.host, model_server.port, timeout=60)
    headers = {"Content-Type": "text/csv", "Accept": "text/csv"}
    conn.request("POST", "/invocations", body=body, headers=headers)
    response = conn.getresponse()
    answer = response.read().decode()
    conn.close()
    # THEN one answer line per line, in CSV
    assert response.status == 200 and response.getheader("Content-Type") == "text/csv"
    answers = list(csv.reader(io.StringIO(answer)))
    assert len(answers) == len(lines) and answers[0] == list(ANSWER_COLUMNS)
    # AND each line joined with its answer (JoinSource=Input) is what the local
    # equivalent, `python -m training_pipeline predict`, writes for the same file
    (tmp_path / "in.csv").write_text("\n".join(lines) + "\n")
    run_cli(
        trained_home,
        "predict",
        "--input",
        str(tmp_path / "in.csv"),
        "--output",
        str(tmp_path / "out.csv"),
    )
    local = list(csv.reader(io.StringIO((tmp_path / "out.csv").read_text())))
    joined = [inputs + out for inputs, out in zip(csv.reader(lines), answers, strict=True)]
    assert [row[len(FEATURES) :] for row in joined] == [row[len(FEATURES) :] for row in local]
    assert joined[5][-1] == "unknown sector 'marte'" and joined[6][-1] == ""
