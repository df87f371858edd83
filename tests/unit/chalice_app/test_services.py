"""The service functions over fakes of the ports: what each route does, without HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from chalice_app import services
from chalice_app.contracts import PredictionRequest, TrainingRequest, validate_rows
from chalice_app.errors import NotFoundError, ServiceUnavailableError, UnprocessableError
from chalice_app.wiring import Backends
from tests.events import prediction_request
from tests.secrets_watch import json_lines
from tests.unit.chalice_app.conftest import KNOWN_SECTORS

BODY: dict[str, Any] = prediction_request()


def _request(**change: Any) -> PredictionRequest:
    return PredictionRequest.model_validate({**BODY, **change})


def test_predict_answers_and_logs_once_with_who_asked(fake_backends: Backends) -> None:
    answer = services.predict(fake_backends, _request(), client="alice")
    assert answer["value"] == 1234.5 and answer["model_version"] == "v0001"
    (entry,) = fake_backends.prediction_log.entries  # type: ignore[attr-defined]
    assert entry.prediction_id == answer["prediction_id"]
    assert entry.inputs["sector"] == BODY["Sector"] and entry.latency_ms >= 0
    assert entry.client == "alice"


def test_unknown_sector_is_422_listing_known_ones(fake_backends: Backends) -> None:
    with pytest.raises(UnprocessableError) as caught:
        services.predict(fake_backends, _request(Sector="Mars"))
    body = caught.value.body()
    assert body["fields"] == {"Sector": "unknown category"}
    assert body["known"] == ["nunoa", "vitacura"]
    assert fake_backends.prediction_log.entries == []  # type: ignore[attr-defined]


def test_no_model_is_503_and_nothing_is_logged(fake_backends: Backends) -> None:
    fake_backends.predictor.version = None  # type: ignore[attr-defined]
    with pytest.raises(ServiceUnavailableError):
        services.predict(fake_backends, _request())
    with pytest.raises(ServiceUnavailableError):
        services.ping(fake_backends)
    assert fake_backends.prediction_log.entries == []  # type: ignore[attr-defined]


def test_start_training_passes_the_request_and_the_idempotency_key(
    fake_backends: Backends,
) -> None:
    answer = services.start_training(fake_backends, TrainingRequest(), "retry-1", client="bob")
    assert answer == {
        "result": "SUCCESS",
        "execution_arn": "local:training:run-1",
        "execution_id": "run-1",
    }
    # None means "the backend's defaults": each backend knows its own.
    started = fake_backends.launcher.started  # type: ignore[attr-defined]
    assert started == [(None, None, "retry-1", "bob")]


def test_start_training_failure_names_the_request_field(fake_backends: Backends) -> None:
    with pytest.raises(UnprocessableError) as caught:
        services.start_training(fake_backends, TrainingRequest(TrainingDataS3Path="/missing.csv"))
    assert list(caught.value.body()["fields"]) == ["TrainingDataS3Path"]


def test_training_status_known_and_unknown(fake_backends: Backends) -> None:
    status = services.training_status(fake_backends, "run-1")
    assert status["execution_id"] == "run-1" and status["status"] == "running"
    with pytest.raises(NotFoundError):
        services.training_status(fake_backends, "run-2")


def test_a_failed_log_write_still_answers_keeps_the_entry_and_degrades_ping(
    fake_backends: Backends, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a prediction log that cannot take entries (a full disk, say)
    fake_backends.prediction_log.fail_with = "disk full"  # type: ignore[attr-defined]

    # WHEN a prediction is asked for
    answer = services.predict(fake_backends, _request())

    # THEN it is answered, the whole entry is in the log output, and /ping says why
    assert answer["value"] == 1234.5
    (line,) = [r for r in json_lines(capsys.readouterr().out) if "recoverable_prediction" in r]
    assert line["level"] == "ERROR" and line["prediction_id"] == answer["prediction_id"]
    kept = line["recoverable_prediction"]
    assert (
        kept["prediction_id"] == answer["prediction_id"]
        and kept["inputs"]["sector"] == BODY["Sector"]
    )
    ping = services.ping(fake_backends)
    assert ping["status"] == "degraded" and "disk full" in ping["degraded"]["prediction_log"]

    # AND once the log takes entries again, /ping is healthy again
    fake_backends.prediction_log.fail_with = None  # type: ignore[attr-defined]
    services.predict(fake_backends, _request())
    assert services.ping(fake_backends) == {"status": "ok", "model_version": "v0001"}


def _rows(*rows: dict[str, Any] | Any) -> list[PredictionRequest | UnprocessableError]:
    return validate_rows(PredictionRequest, list(rows))


def test_a_batch_answers_each_row_in_its_place_with_one_model_call(
    fake_backends: Backends,
) -> None:
    rows = _rows(BODY, {**BODY, "Sector": "Mars"}, {**BODY, "NetArea": -1}, 7, BODY)
    answer = services.predict_batch(fake_backends, rows, client="alice")
    assert fake_backends.predictor.calls == 1  # type: ignore[attr-defined]
    assert answer["model_version"] == "v0001"
    first, unknown, invalid, not_object, last = answer["predictions"]
    assert set(first) == {"value", "range", "prediction_id"} and first["value"] == 1234.5
    assert unknown["fields"] == {"Sector": "unknown category"} and unknown["known"] == KNOWN_SECTORS
    assert invalid == {
        "error": "invalid fields: NetArea",
        "fields": {"NetArea": "Input should be greater than or equal to 0"},
    }
    assert not_object == {"error": "row must be a JSON object", "fields": {}}
    # Only priced rows are logged, each with who asked
    entries = fake_backends.prediction_log.entries  # type: ignore[attr-defined]
    assert [e.prediction_id for e in entries] == [first["prediction_id"], last["prediction_id"]]
    assert {e.client for e in entries} == {"alice"}


def test_a_batch_with_no_valid_row_asks_no_model(fake_backends: Backends) -> None:
    fake_backends.predictor.version = None  # type: ignore[attr-defined]
    answer = services.predict_batch(fake_backends, _rows("x", {}))
    assert "model_version" not in answer and len(answer["predictions"]) == 2
    assert services.predict_batch(fake_backends, []) == {"predictions": []}
    assert fake_backends.predictor.calls == 0  # type: ignore[attr-defined]


def test_a_batch_without_a_model_is_503(fake_backends: Backends) -> None:
    fake_backends.predictor.version = None  # type: ignore[attr-defined]
    with pytest.raises(ServiceUnavailableError):
        services.predict_batch(fake_backends, _rows(BODY))
    assert fake_backends.prediction_log.entries == []  # type: ignore[attr-defined]


def test_entries_a_batch_write_left_out_are_recoverable_lines_and_only_those(
    fake_backends: Backends, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a log that takes a batch but the 2nd and 4th entries (throttled, say)
    fake_backends.prediction_log.refuse_positions = {1, 3}  # type: ignore[attr-defined]
    # WHEN five rows are priced
    answer = services.predict_batch(fake_backends, _rows(*[BODY] * 5))
    ids = [row["prediction_id"] for row in answer["predictions"]]
    # THEN each left-out entry is whole in the log output, the others in the log
    lines = [r for r in json_lines(capsys.readouterr().out) if "recoverable_prediction" in r]
    assert [line["prediction_id"] for line in lines] == [ids[1], ids[3]]
    assert all(line["recoverable_prediction"]["value"] == 1234.5 for line in lines)
    logged = fake_backends.prediction_log.entries  # type: ignore[attr-defined]
    assert [e.prediction_id for e in logged] == [ids[0], ids[2], ids[4]]
    assert services.ping(fake_backends)["status"] == "degraded"
    # AND a failure of the whole write keeps every entry
    fake_backends.prediction_log.fail_with = "disk full"  # type: ignore[attr-defined]
    again = services.predict_batch(fake_backends, _rows(*[BODY] * 3))
    lines = [r for r in json_lines(capsys.readouterr().out) if "recoverable_prediction" in r]
    assert [line["prediction_id"] for line in lines] == [
        row["prediction_id"] for row in again["predictions"]
    ]
