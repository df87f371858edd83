"""The API function invoked as Lambda invokes it, with every API Gateway event in
tests/events/: the good ones answered, the hand-written mistakes a 400 that says what is
wrong, with no traceback and the refusal counted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from api_fronts import ApiHome
from chalice.local import LambdaContext

from chalice_app.proxy_event import MALFORMED_EVENT
from devtools.moto_stack import environ
from tests import events
from tests.secrets_watch import json_lines, metric_documents

# What the local backend answers each good event (its training data paths are S3 URIs,
# which the local backend refuses without starting a run; the execution is not its own).
ANSWERS = {
    "api_handler/live": 200,
    "api_handler/ping": 200,
    "api_handler/openapi": 200,
    "api_handler/get_prediction": 200,
    "api_handler/get_prediction_base64": 200,
    "api_handler/get_predictions": 200,
    "api_handler/start_training": 422,
    "api_handler/training_status": 404,
}
MALFORMED = events.names("api_handler/malformed")


@pytest.fixture(scope="module")
def invoke(api_home: ApiHome) -> Iterator[Any]:
    from chalice_app.app import app
    from chalice_app.wiring import reset_backends

    def call(name: str) -> tuple[int, Any]:
        event = events.with_api_key(events.load(name), api_home.key)
        answer = app(event, LambdaContext("api_handler", 512))
        return answer["statusCode"], json.loads(answer["body"])

    with environ({"PVP_HOME": str(api_home.home), "OMP_NUM_THREADS": "1"}):
        reset_backends()
        try:
            yield call
        finally:
            reset_backends()


def test_every_good_event_has_its_answer() -> None:
    assert set(ANSWERS) == set(events.names("api_handler")) - set(MALFORMED)


@pytest.mark.parametrize(("name", "status"), sorted(ANSWERS.items()))
def test_a_good_event_is_answered(invoke: Any, name: str, status: int) -> None:
    answered, body = invoke(name)
    assert answered == status, body
    if name.endswith("get_prediction") or name.endswith("get_prediction_base64"):
        assert body["value"] > 0 and body["model_version"].startswith("v")
    if name.endswith("get_predictions"):
        assert [("value" in row) for row in body["predictions"]] == [True, True, False]


@pytest.mark.parametrize("name", MALFORMED)
def test_a_hand_written_mistake_is_a_400_that_says_what_is_wrong(
    invoke: Any, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, body = invoke(name)

    assert status == 400
    assert set(body) == {"error"} and len(body["error"]) > 20
    output = capsys.readouterr()
    assert "Traceback" not in output.out + output.err
    lines = json_lines(output.out)
    (refused,) = [line for line in lines if line.get("message", "").startswith("refused")]
    assert refused["problem"] == body["error"] and refused["level"] == "WARNING"
    errors = [doc for doc in metric_documents(lines) if "errors" in doc]
    assert [doc["error"] for doc in errors] == [MALFORMED_EVENT]
