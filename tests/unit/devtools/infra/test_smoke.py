"""make smoke's AWS side: the key from the stage's secret (moto), the test invoker through
Lambda's Invoke (botocore's Stubber holding the exact request: moto runs a function
only in Docker, which cannot run here), exit codes, and the wait for a first model.
The checks against a real invoker and API: tests/e2e/test_smoke_stage.py."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber
from moto import mock_aws

from contract.resources import FIRST_CLIENT, TEST_INVOKER, StageNames
from devtools.infra import smoke
from tests import events

NAMES = StageNames("stg")
FUNCTION = NAMES.function(TEST_INVOKER)
KEY = "a-stage-key-for-the-smoke-test"
REGION = "us-east-1"


def _answer(payload: Any, function_error: str | None = None) -> dict[str, Any]:
    data = json.dumps(payload).encode()
    answer = {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(data), len(data))}
    if function_error:
        answer["FunctionError"] = function_error
    return answer


def _expected_result(expected: smoke.Expected) -> dict[str, Any]:
    if expected.refused:
        return {
            "status_code": None,
            "body": None,
            "error": {"kind": expected.refused, "message": "no"},
        }
    return {"status_code": expected.status, "body": {"ok": True}, "error": None}


def _request(name: str) -> dict[str, Any]:
    event = events.with_api_key(events.load(name), KEY)
    return {"FunctionName": FUNCTION, "Payload": json.dumps(event).encode()}


@pytest.fixture
def secrets() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("secretsmanager", region_name=REGION)
        client.create_secret(Name=NAMES.secret, SecretString=json.dumps({FIRST_CLIENT: KEY}))
        yield client


def test_every_invoker_event_is_checked_or_kept_out_with_a_reason() -> None:
    assert set(smoke.CHECKS) | set(smoke.NOT_SENT) == set(events.names(TEST_INVOKER))
    assert not set(smoke.CHECKS) & set(smoke.NOT_SENT)


def test_the_key_is_the_first_clients_current_one(secrets: Any) -> None:
    assert smoke.stage_key(secrets, NAMES.secret) == KEY
    with pytest.raises(smoke.SmokeError, match="no key for the client 'ops'"):
        smoke.stage_key(secrets, NAMES.secret, "ops")
    with pytest.raises(smoke.SmokeError, match="could not be read"):
        smoke.stage_key(secrets, StageNames("prd").secret)


def _main(secrets: Any, stubbed: Any, *argv: str) -> int:
    clients = {"secretsmanager": secrets, "lambda": stubbed}
    return smoke.main(["--stage", NAMES.stage, *argv], clients=clients.__getitem__)


def test_a_passing_stage_exits_0_and_each_event_is_sent_as_aws_lambda_invoke_sends_it(
    secrets: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    client = boto3.client("lambda", region_name=REGION)
    with Stubber(client) as stub:
        for name, expected in smoke.CHECKS.items():
            stub.add_response("invoke", _answer(_expected_result(expected)), _request(name))

        code = _main(secrets, client)
        stub.assert_no_pending_responses()

    out = capsys.readouterr().out
    assert code == 0
    assert f"smoke test of stg: {len(smoke.CHECKS)} passed, 0 failed" in out
    assert KEY not in out


def test_a_wrong_answer_or_a_crashed_function_exits_1_naming_them(
    secrets: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    client = boto3.client("lambda", region_name=REGION)
    wrong = f"{TEST_INVOKER}/get_prediction"
    crashed = f"{TEST_INVOKER}/training_status"
    with Stubber(client) as stub:
        for name, expected in smoke.CHECKS.items():
            if name == wrong:
                answer = _answer({"status_code": 503, "body": {"error": "no model"}, "error": None})
            elif name == crashed:
                answer = _answer({"errorMessage": "Task timed out"}, function_error="Unhandled")
            else:
                answer = _answer(_expected_result(expected))
            stub.add_response("invoke", answer, _request(name))

        code = _main(secrets, client)

    out = capsys.readouterr().out
    assert code == 1
    assert f'FAIL  {wrong}: expected 200, got 503 {{"error": "no model"}}' in out
    assert f"FAIL  {crashed}: expected 404, got {FUNCTION} failed (Unhandled)" in out
    assert "2 failed" in out


def test_an_answer_that_is_not_the_invokers_result_is_a_failure() -> None:
    client = boto3.client("lambda", region_name=REGION)
    invoke = smoke.lambda_invoke(client, FUNCTION)
    with Stubber(client) as stub:
        stub.add_response("invoke", _answer("just text"), _request(smoke.PING))
        outcome = smoke.check(smoke.PING, smoke.CHECKS[smoke.PING], invoke, KEY)
    assert not outcome.ok
    assert outcome.got == f'{FUNCTION} answered no invoker result: "just text"'


def test_a_missing_function_is_a_failure_not_a_traceback(secrets: Any) -> None:
    client = boto3.client("lambda", region_name=REGION)
    with Stubber(client) as stub:
        for _ in smoke.CHECKS:
            stub.add_client_error("invoke", "ResourceNotFoundException", http_status_code=404)
        assert _main(secrets, client) == 1


def test_no_secret_exits_1_before_invoking_anything(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with mock_aws():
        secrets = boto3.client("secretsmanager", region_name=REGION)
        client = boto3.client("lambda", region_name=REGION)
        with Stubber(client) as stub:  # nothing queued: the run stops before invoking
            assert _main(secrets, client) == 1
            stub.assert_no_pending_responses()
    assert "the key could not be read" in capsys.readouterr().err


def test_no_region_is_a_message_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")

    assert smoke.main(["--stage", "dev"]) == 1
    assert "no secretsmanager client: You must specify a region" in capsys.readouterr().err


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _pings(statuses: list[int]) -> tuple[smoke.Invoke, list[Any]]:
    sent: list[Any] = []

    def invoke(event: Any) -> dict[str, Any]:
        sent.append(event)
        return {
            "status_code": statuses.pop(0),
            "body": {"error": "no model available"},
            "error": None,
        }

    return invoke, sent


def test_the_wait_asks_ping_until_a_model_serves() -> None:
    clock = _Clock()
    invoke, sent = _pings([503, 503, 200])

    smoke.wait_for_model(invoke, KEY, 600, interval=30, clock=lambda: clock.now, sleep=clock.sleep)

    assert clock.slept == [30, 30]
    assert [event["endpoint"] for event in sent] == ["/ping"] * 3


def test_the_wait_gives_up_at_its_deadline() -> None:
    clock = _Clock()
    invoke, _ = _pings([503] * 10)

    smoke.wait_for_model(invoke, KEY, 70, interval=30, clock=lambda: clock.now, sleep=clock.sleep)

    assert clock.slept == [30, 30, 10] and clock.now == 70
