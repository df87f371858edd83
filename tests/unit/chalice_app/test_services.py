from __future__ import annotations

import json

import pytest

from chalice_app import services
from chalice_app.errors import (
    ForbiddenError,
    NotFoundError,
    PayloadTooLargeError,
    ServiceUnavailableError,
    UnprocessableError,
)
from chalice_app.ports import Services

GOOD_KEY = "good-key"
BODY = {
    "Type": "casa",
    "Sector": "Nunoa",
    "NetUsableArea": 80,
    "NetArea": 95,
    "NRooms": 3,
    "NBathroom": 2,
    "Latitude": -33.45,
    "Longitude": -70.6,
}


def _raw(**change: object) -> bytes:
    return json.dumps({**BODY, **change}).encode()


def test_predict_answers_and_logs_once(fake_services: Services) -> None:
    answer = services.predict(fake_services, GOOD_KEY, _raw())
    assert answer["value"] == 1234.5 and answer["model_version"] == "v0001"
    (entry,) = fake_services.prediction_log.entries  # type: ignore[attr-defined]
    assert entry.prediction_id == answer["prediction_id"]
    assert entry.inputs["sector"] == "Nunoa" and entry.latency_ms >= 0


def test_predict_checks_the_key_before_anything_else(fake_services: Services) -> None:
    with pytest.raises(ForbiddenError):
        services.predict(fake_services, "bad", b"not json")
    assert fake_services.prediction_log.entries == []  # type: ignore[attr-defined]


def test_unknown_sector_is_422_listing_known_ones(fake_services: Services) -> None:
    with pytest.raises(UnprocessableError) as caught:
        services.predict(fake_services, GOOD_KEY, _raw(Sector="Mars"))
    body = caught.value.body()
    assert body["fields"] == {"Sector": "unknown category"}
    assert body["known"] == ["nunoa", "vitacura"]


def test_no_model_is_503_and_nothing_is_logged(fake_services: Services) -> None:
    fake_services.predictor.version = None  # type: ignore[attr-defined]
    with pytest.raises(ServiceUnavailableError):
        services.predict(fake_services, GOOD_KEY, _raw())
    with pytest.raises(ServiceUnavailableError):
        services.ping(fake_services)
    assert fake_services.prediction_log.entries == []  # type: ignore[attr-defined]


def test_oversized_body_is_413(fake_services: Services) -> None:
    with pytest.raises(PayloadTooLargeError):
        services.predict(fake_services, GOOD_KEY, b" " * 2000)


def test_start_training_uses_defaults(fake_services: Services) -> None:
    answer = services.start_training(fake_services, GOOD_KEY, b"")
    assert answer == {
        "result": "SUCCESS",
        "execution_arn": "local:training:run-1",
        "execution_id": "run-1",
    }
    assert fake_services.launcher.started == [  # type: ignore[attr-defined]
        ("/data/train.csv", "/data/test.csv")
    ]


def test_start_training_failure_names_the_field(fake_services: Services) -> None:
    raw = json.dumps({"TrainingDataS3Path": "/missing.csv"}).encode()
    with pytest.raises(UnprocessableError) as caught:
        services.start_training(fake_services, GOOD_KEY, raw)
    body = caught.value.body()
    assert body["result"] == "FAILURE" and list(body["fields"]) == ["TrainingDataS3Path"]


def test_start_training_bad_key_says_failure(fake_services: Services) -> None:
    with pytest.raises(ForbiddenError) as caught:
        services.start_training(fake_services, "bad", b"")
    assert caught.value.body()["result"] == "FAILURE"


def test_training_status_known_and_unknown(fake_services: Services) -> None:
    status = services.training_status(fake_services, GOOD_KEY, "run-1")
    assert status["execution_id"] == "run-1" and status["status"] == "running"
    with pytest.raises(NotFoundError):
        services.training_status(fake_services, GOOD_KEY, "run-2")
