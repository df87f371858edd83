"""The old system's contract, case by case, through both fronts (see conftest)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.events import prediction_request

BODY: dict[str, Any] = prediction_request()


def _auth(front: Any, **extra: str) -> dict[str, str]:
    return {"API-key": front.key, "Content-Type": "application/json", **extra}


def _predict(front: Any, **change: Any) -> Any:
    return front.request(
        "POST", "/get_prediction", json.dumps({**BODY, **change}).encode(), _auth(front)
    )


def test_live_answers_without_a_key(front: Any) -> None:
    answer = front.request("GET", "/live")
    assert answer.status == 200
    assert answer.json() == {"status": "alive"}


def test_ping_answers_with_the_deployed_version_without_a_key(front: Any) -> None:
    answer = front.request("GET", "/ping")
    assert answer.status == 200
    assert answer.json()["model_version"].startswith("v")


def test_prediction_is_answered_and_logged(front: Any) -> None:
    answer = _predict(front)
    assert answer.status == 200, answer.raw
    body = answer.json()
    assert set(body) == {"value", "range", "model_version", "prediction_id"}
    assert isinstance(body["value"], float) and body["value"] > 0
    assert body["range"]["level"] == 0.8
    assert 0 < body["range"]["low"] <= body["value"] <= body["range"]["high"]
    logged = front.logged()[body["prediction_id"]]
    assert logged["value"] == body["value"] and logged["model_version"] == body["model_version"]
    bounds = body["range"]
    assert (logged["range_low"], logged["range_high"], logged["range_level"]) == (
        bounds["low"],
        bounds["high"],
        bounds["level"],
    )
    # Who asked: the name of the key (the key stores' "default"), never the key itself.
    assert logged["client"] == "default"
    assert front.key not in repr(logged)


def test_categories_match_ignoring_case_and_accents(front: Any) -> None:
    plain = _predict(front, Type="departamento", Sector="nunoa").json()["value"]
    fancy = _predict(front, Type="Departamento", Sector="Ñuñoa").json()["value"]
    assert fancy == plain


def test_body_without_json_content_type_is_still_read(front: Any) -> None:
    # curl -d sends application/x-www-form-urlencoded
    headers = {"API-key": front.key, "Content-Type": "application/x-www-form-urlencoded"}
    answer = front.request("POST", "/get_prediction", json.dumps(BODY).encode(), headers)
    assert answer.status == 200, answer.raw


def test_unknown_sector_is_422_listing_known_sectors(front: Any) -> None:
    answer = _predict(front, Sector="Marte")
    assert answer.status == 422
    body = answer.json()
    assert "Sector" in body["fields"] and "vitacura" in body["known"]


@pytest.mark.parametrize("key", [None, "", "not-the-key"])
def test_missing_or_bad_key_is_403(front: Any, key: str | None) -> None:
    headers = {} if key is None else {"API-key": key}
    for method, path in [
        ("POST", "/get_prediction"),
        ("POST", "/get_predictions"),
        ("POST", "/start_training"),
        ("GET", "/training/run-x"),
    ]:
        answer = front.request(method, path, json.dumps(BODY).encode(), headers)
        assert answer.status == 403, (method, path)
        assert "error" in answer.json()


# The last: an integer past Python's 4,300-digit conversion limit (a 500 before).
@pytest.mark.parametrize(
    "raw", [b"{", b"not json", b"\xff\xfe\xfd", b'{"NRooms": ' + b"7" * 5000 + b"}"]
)
def test_malformed_json_is_400(front: Any, raw: bytes) -> None:
    answer = front.request("POST", "/get_prediction", raw, _auth(front))
    assert answer.status == 400 and "error" in answer.json()


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"NetArea": -5}, {"NetArea"}),
        ({"Latitude": 48.85, "Longitude": 2.35}, {"Latitude", "Longitude"}),
        ({"NRooms": "4"}, {"NRooms"}),
        ({"Color": "red"}, {"Color"}),
    ],
)
def test_invalid_fields_are_422_naming_each(
    front: Any, change: dict[str, Any], fields: set[str]
) -> None:
    answer = _predict(front, **change)
    assert answer.status == 422
    assert set(answer.json()["fields"]) == fields


def test_missing_fields_are_422_naming_each(front: Any) -> None:
    answer = front.request("POST", "/get_prediction", b'{"Type": "casa"}', _auth(front))
    assert answer.status == 422
    assert set(answer.json()["fields"]) == set(BODY) - {"Type"}


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_422(front: Any, token: str) -> None:
    raw = json.dumps(BODY).replace("170.0", token).encode()
    answer = front.request("POST", "/get_prediction", raw, _auth(front))
    assert answer.status == 422 and set(answer.json()["fields"]) == {"NetArea"}


def test_oversized_body_is_413(front: Any) -> None:
    raw = json.dumps({**BODY, "Pad": "x" * 70_000}).encode()
    answer = front.request("POST", "/get_prediction", raw, _auth(front))
    assert answer.status == 413 and "error" in answer.json()


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/get_prediction"), ("DELETE", "/ping"), ("GET", "/get_predictions")],
)
def test_wrong_method_is_405_json(front: Any, method: str, path: str) -> None:
    answer = front.request(method, path)
    assert answer.status == 405
    assert set(answer.json()) == {"error"}


def _predict_many(front: Any, rows: Any) -> Any:
    return front.request("POST", "/get_predictions", json.dumps(rows).encode(), _auth(front))


def test_a_batch_answers_each_row_in_its_place_and_logs_the_priced_ones(front: Any) -> None:
    rows = [
        BODY,
        {**BODY, "Sector": "Marte"},
        {**BODY, "NetArea": -5},
        "a row",
        {**BODY, "NRooms": 2},
    ]
    answer = _predict_many(front, rows)
    assert answer.status == 200, answer.raw
    body = answer.json()
    first, unknown, invalid, not_object, last = body["predictions"]
    # A priced row is what /get_prediction answers for it
    single = _predict(front).json()
    assert body["model_version"] == single["model_version"]
    assert first["value"] == single["value"] and first["range"] == single["range"]
    assert last["value"] == _predict(front, NRooms=2).json()["value"]
    # Every other row carries the error /get_prediction would give it
    assert unknown["fields"] == {"Sector": "unknown category"} and "vitacura" in unknown["known"]
    assert invalid["fields"] == {"NetArea": "Input should be greater than or equal to 0"}
    assert not_object == {"error": "row must be a JSON object", "fields": {}}
    # AND each priced row is logged, with who asked
    logged = front.logged()
    for row in (first, last):
        entry = logged[row["prediction_id"]]
        assert entry["value"] == row["value"] and entry["client"] == "default"
        assert entry["model_version"] == body["model_version"]
    assert front.key not in repr([logged[row["prediction_id"]] for row in (first, last)])


def test_a_batch_of_the_most_rows_allowed_is_priced_and_logged_whole(front: Any) -> None:
    # ~170 KB: over the single route's 64 KiB, within the batch route's own limit
    rows = [{**BODY, "NetUsableArea": 40.0 + i % 300} for i in range(1000)]
    answer = _predict_many(front, rows)
    assert answer.status == 200, answer.raw
    predictions = answer.json()["predictions"]
    assert len(predictions) == 1000 and all("value" in row for row in predictions)
    ids = [row["prediction_id"] for row in predictions]
    assert len(set(ids)) == 1000 and set(ids) <= set(front.logged())


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (json.dumps(BODY).encode(), 422),  # an object, not a list
        (b"[", 400),
        (json.dumps([BODY] * 1001).encode(), 422),  # one row too many
        (json.dumps([{**BODY, "Pad": "x" * 1_100_000}]).encode(), 413),  # over 1 MiB
    ],
)
def test_a_batch_is_refused_whole_only_when_not_a_list_or_too_long(
    front: Any, raw: bytes, status: int
) -> None:
    answer = front.request("POST", "/get_predictions", raw, _auth(front))
    assert answer.status == status and "error" in answer.json()


def test_unknown_route_is_404_json(front: Any) -> None:
    if front.name == "chalice":
        pytest.skip("chalice.test.Client mimics API Gateway: 403 Missing Authentication Token")
    answer = front.request("GET", "/no/such/route")
    assert answer.status == 404 and "error" in answer.json()


@pytest.mark.parametrize("path", ["/get%5fprediction", "/get%5Fprediction", "/get_prediction%2F"])
def test_percent_encoded_route_names_are_not_routes(front: Any, path: str) -> None:
    # API Gateway (REST) matches resources on the path as sent, encoded characters and all:
    # chalice.test.Client answers its "Missing Authentication Token" 403, the proxy a 404.
    answer = front.request("POST", path, json.dumps(BODY).encode(), _auth(front))
    assert answer.status == (403 if front.name == "chalice" else 404)
    assert "value" not in answer.json()


@pytest.mark.parametrize("field", ["TrainingDataS3Path", "ValidationDataS3Path"])
@pytest.mark.parametrize("prefix", ["", "file://", "s3://bucket"])
def test_start_training_with_unusable_path_is_422_naming_it(
    front: Any, field: str, prefix: str
) -> None:
    raw = json.dumps({field: f"{prefix}/no/such/file.csv"}).encode()
    answer = front.request("POST", "/start_training", raw, _auth(front))
    assert answer.status == 422
    body = answer.json()
    assert body["result"] == "FAILURE" and list(body["fields"]) == [field]


def test_unknown_execution_is_404(front: Any) -> None:
    answer = front.request("GET", "/training/run-does-not-exist", headers=_auth(front))
    assert answer.status == 404 and "error" in answer.json()


@pytest.mark.slow
def test_training_started_with_defaults_completes(front: Any) -> None:
    if front.backend == "aws":
        pytest.skip("moto's pipeline executions end at once without running any step")
    # GIVEN a deployed model; WHEN a run starts with the default paths (GET)
    started = front.request("GET", "/start_training", headers=_auth(front))
    assert started.status == 200, started.raw
    body = started.json()
    assert body["result"] == "SUCCESS" and body["execution_arn"]
    run_id = body["execution_id"]
    assert all(ch.isalnum() or ch in "-_" for ch in run_id)
    # THEN its status is readable at once and ends accepted or rejected with metrics
    deadline = time.monotonic() + 120
    while True:
        status = front.request("GET", f"/training/{run_id}", headers=_auth(front))
        assert status.status == 200, status.raw
        state = status.json()
        if state["status"] in ("accepted", "rejected", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert state["status"] in ("accepted", "rejected"), state
    assert state["metrics"]["mae"] > 0 and state["gate"] is not None


def test_the_openapi_document_is_served_without_a_key(front: Any) -> None:
    from chalice_app.openapi import DOCUMENT_PATH

    answer = front.request("GET", "/openapi.json")
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json() == json.loads(DOCUMENT_PATH.read_text())
