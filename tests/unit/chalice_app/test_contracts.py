from __future__ import annotations

from typing import Any

import pytest

from chalice_app.contracts import (
    PredictionRequest,
    TrainingRequest,
    parse_json_list,
    parse_json_object,
    validate,
    validate_rows,
)
from chalice_app.errors import BadRequestError, UnprocessableError
from tests.events import prediction_request

VALID: dict[str, Any] = prediction_request()


def test_valid_request_maps_to_the_models_columns() -> None:
    record = validate(PredictionRequest, dict(VALID)).to_record()
    assert record == {
        "type": "departamento",
        "sector": "Vitacura",
        "net_usable_area": 140.0,
        "net_area": 170.0,
        "n_rooms": 4.0,
        "n_bathroom": 3.0,
        "latitude": -33.4,
        "longitude": -70.58,
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"NetArea": -1}, "NetArea"),
        ({"NetUsableArea": "80"}, "NetUsableArea"),
        ({"NRooms": True}, "NRooms"),
        ({"Latitude": 40.4}, "Latitude"),
        ({"Longitude": -58.4}, "Longitude"),
        ({"Sector": ""}, "Sector"),
        ({"Type": 3}, "Type"),
        ({"Extra": 1}, "Extra"),
    ],
)
def test_invalid_field_is_named(change: dict[str, Any], field: str) -> None:
    with pytest.raises(UnprocessableError) as caught:
        validate(PredictionRequest, {**VALID, **change})
    assert list(caught.value.body()["fields"]) == [field]


def test_every_missing_field_is_named() -> None:
    with pytest.raises(UnprocessableError) as caught:
        validate(PredictionRequest, {"Type": "casa"})
    assert set(caught.value.body()["fields"]) == set(VALID) - {"Type"}


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_are_422_naming_the_field(token: str) -> None:
    raw = ('{"NetArea": ' + token + "}").encode()
    with pytest.raises(UnprocessableError) as caught:
        validate(PredictionRequest, {**VALID, **parse_json_object(raw)})
    assert list(caught.value.body()["fields"]) == ["NetArea"]


@pytest.mark.parametrize(
    "raw", [b"{", b"not json", b"\xff\xfe", b'{"a": 1,}', b'{"a": ' + b"1" * 4301 + b"}"]
)
def test_malformed_json_is_400(raw: bytes) -> None:
    with pytest.raises(BadRequestError):
        parse_json_object(raw)
    with pytest.raises(BadRequestError):
        parse_json_list(raw)


@pytest.mark.parametrize("raw", [b"[]", b"3", b'"x"', b"", None])
def test_a_body_that_is_not_an_object_is_422(raw: bytes | None) -> None:
    with pytest.raises(UnprocessableError):
        parse_json_object(raw)


def test_training_body_may_be_empty_and_fields_are_optional() -> None:
    request = validate(TrainingRequest, parse_json_object(b"", empty_ok=True))
    assert request.TrainingDataS3Path is None
    with pytest.raises(UnprocessableError):
        validate(TrainingRequest, {"TrainingDataS3Path": 7})


@pytest.mark.parametrize("raw", [b"{}", b"3", b'"x"', b"null", b"", b"  ", None])
def test_a_batch_body_that_is_not_a_list_is_422(raw: bytes | None) -> None:
    with pytest.raises(UnprocessableError, match="JSON list"):
        parse_json_list(raw)


def test_batch_rows_are_checked_one_by_one() -> None:
    rows = [*parse_json_list(b'[{"Type": "casa"}, 1, null]'), VALID]
    missing, number, null, valid = validate_rows(PredictionRequest, rows)
    assert isinstance(missing, UnprocessableError) and "Sector" in missing.body()["fields"]
    assert isinstance(number, UnprocessableError) and isinstance(null, UnprocessableError)
    assert number.body() == {"error": "row must be a JSON object", "fields": {}}
    assert valid == validate(PredictionRequest, VALID)
