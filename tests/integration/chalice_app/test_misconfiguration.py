"""A configuration error is a generic 503 with a request id, logged once with its detail."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from chalice_app.wiring import reset_backends


@pytest.fixture
def misconfigured(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PVP_KEY_REFRESH_SECONDS", "soon")
    reset_backends()
    yield
    reset_backends()


def test_every_route_answers_503_and_the_log_says_why_once(
    misconfigured: None, caplog: pytest.LogCaptureFixture
) -> None:
    from chalice.test import Client

    from chalice_app.app import app

    caplog.set_level(logging.ERROR)
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
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "PVP_KEY_REFRESH_SECONDS" in errors[0].getMessage()
    assert errors[0].exc_info is None  # no traceback per request, or at all
