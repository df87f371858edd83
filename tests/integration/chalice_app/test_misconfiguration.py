"""A configuration error is a generic 503 with a request id, logged once with its detail."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from chalice_app.wiring import reset_backends
from tests.secrets_watch import json_lines, metric_documents


@pytest.fixture
def misconfigured(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PVP_KEY_REFRESH_SECONDS", "soon")
    reset_backends()
    yield
    reset_backends()


def test_every_route_answers_503_and_the_log_says_why_once(
    misconfigured: None, capsys: pytest.CaptureFixture[str]
) -> None:
    from chalice.test import Client

    from chalice_app.app import app

    with Client(app) as client:
        answers = [
            client.http.get("/ping"),
            client.http.post("/get_prediction", body=b"{}", headers={"API-key": "k"}),
            client.http.post("/start_training", body=b"", headers={"API-key": "k"}),
            client.http.get("/training/run-1", headers={"API-key": "k"}),
        ]
    for answer in answers:
        assert answer.status_code == 503
        body = json.loads(answer.body)
        assert body["error"] == "the service is misconfigured; an operator has been told"
        assert body["request_id"]
        # The detail is for operators, not clients.
        assert "PVP_KEY_REFRESH_SECONDS" not in answer.body.decode()
    assert json.loads(answers[2].body)["result"] == "FAILURE"
    lines = json_lines(capsys.readouterr().out)
    errors = [line for line in lines if line.get("level") == "ERROR"]
    assert len(errors) == 1 and "PVP_KEY_REFRESH_SECONDS" in errors[0]["message"]
    assert "exception" not in errors[0]  # no traceback per request, or at all
    # Each request's log lines carry its id; the 503s are counted as metrics.
    assert errors[0]["correlation_id"]
    metrics = metric_documents(lines)
    counted = [m.get("errors", []) for m in metrics if m.get("error") == "MisconfiguredError"]
    # EMF holds a value, or a list when a metric was added more than once before a flush.
    assert sum(sum(c) if isinstance(c, list) else c for c in counted) == 4
