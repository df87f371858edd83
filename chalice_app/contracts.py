"""Request contracts (the old system's field names) and their parsing into errors.

Pydantic messages are kept, its error types and URLs are not: 422 bodies name the
field and the problem only.
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Any, Final, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chalice_app.errors import BadRequestError, UnprocessableError

Contract = TypeVar("Contract", bound=BaseModel)

API_KEY_HEADER: Final = "API-key"
# A client that retries /start_training with the same value starts one run, not two.
IDEMPOTENCY_KEY_HEADER: Final = "Idempotency-Key"

_STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)

Area = Annotated[float, Field(ge=0, le=1_000_000)]
Count = Annotated[float, Field(ge=0, le=1_000)]
Category = Annotated[str, Field(min_length=1, max_length=100)]
Path = Annotated[str, Field(min_length=1, max_length=2048)]


class PredictionRequest(BaseModel):
    model_config = ConfigDict(
        **_STRICT,
        json_schema_extra={
            "examples": [
                {
                    "Type": "departamento",
                    "Sector": "Ñuñoa",
                    "NetUsableArea": 70.0,
                    "NetArea": 80.0,
                    "NRooms": 2,
                    "NBathroom": 2,
                    "Latitude": -33.45,
                    "Longitude": -70.6,
                }
            ]
        },
    )

    Type: Category
    Sector: Category
    NetUsableArea: Area
    NetArea: Area
    NRooms: Count
    NBathroom: Count
    # Chile's mainland and islands near it; a point elsewhere is a client mistake.
    Latitude: Annotated[float, Field(ge=-56.0, le=-17.0)]
    Longitude: Annotated[float, Field(ge=-76.0, le=-66.0)]

    def to_record(self) -> dict[str, Any]:
        """The model's snake_case features, raw (the model normalizes categories)."""
        return {
            "type": self.Type,
            "sector": self.Sector,
            "net_usable_area": self.NetUsableArea,
            "net_area": self.NetArea,
            "n_rooms": self.NRooms,
            "n_bathroom": self.NBathroom,
            "latitude": self.Latitude,
            "longitude": self.Longitude,
        }


class TrainingRequest(BaseModel):
    """Locally: paths (absolute, or relative to the data area) or file:// URIs."""

    model_config = ConfigDict(
        **_STRICT,
        json_schema_extra={
            "examples": [{"TrainingDataS3Path": "train.csv", "ValidationDataS3Path": "test.csv"}]
        },
    )

    TrainingDataS3Path: Path | None = None
    ValidationDataS3Path: Path | None = None


def _keep_non_finite(token: str) -> float:
    # json accepts NaN/Infinity; let them through as floats so the field check below
    # rejects them with the field's name (422) rather than as malformed JSON.
    return math.nan if token == "NaN" else (math.inf if token == "Infinity" else -math.inf)


def _decode(raw: bytes) -> Any:
    """The body's JSON value; 400 when it is not JSON."""
    try:
        return json.loads(raw, parse_constant=_keep_non_finite)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise BadRequestError(f"malformed JSON body: {exc}") from None
    except ValueError:
        # Python refuses to turn more than 4,300 digits into an int (CVE-2020-10735);
        # json raises that as a plain ValueError. No field takes such a number.
        raise BadRequestError("malformed JSON body: a number has too many digits") from None


def parse_json_object(raw: bytes | None, *, empty_ok: bool = False) -> dict[str, Any]:
    """Decode a request body; 400 when it is not JSON, 422 when not an object."""
    if not raw or not raw.strip():
        if empty_ok:
            return {}
        raise UnprocessableError("request body must be a JSON object", fields={})
    data = _decode(raw)
    if not isinstance(data, dict):
        raise UnprocessableError("request body must be a JSON object", fields={})
    return data


def parse_json_list(raw: bytes | None) -> list[Any]:
    """Decode a batch body; 400 when it is not JSON, 422 when not a list."""
    data = _decode(raw) if raw and raw.strip() else None
    if not isinstance(data, list):
        raise UnprocessableError("request body must be a JSON list of properties", fields={})
    return data


def _fields(exc: ValidationError) -> dict[str, str]:
    problems: dict[str, str] = {}
    for err in exc.errors(include_url=False, include_context=False, include_input=False):
        name = ".".join(str(part) for part in err["loc"]) or "body"
        message = "unexpected field" if err["type"] == "extra_forbidden" else err["msg"]
        problems.setdefault(name, message)
    return problems


def validate(model: type[Contract], data: dict[str, Any]) -> Contract:
    """The model instance, or a 422 naming every bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = _fields(exc)
        raise UnprocessableError(
            "invalid fields: " + ", ".join(sorted(fields)), fields=fields
        ) from None


def validate_rows(model: type[Contract], rows: list[Any]) -> list[Contract | UnprocessableError]:
    """Each row as the model, or the 422 it would get alone: one bad row fails alone."""
    checked: list[Contract | UnprocessableError] = []
    for row in rows:
        try:
            if not isinstance(row, dict):
                raise UnprocessableError("row must be a JSON object", fields={})
            checked.append(validate(model, row))
        except UnprocessableError as exc:
            checked.append(exc)
    return checked
