"""Response contracts: what each route answers, as pydantic models.

The service functions build their answers through these, so the OpenAPI document
(`chalice_app.openapi`, generated from them) describes what the code sends.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from contract.vocabulary import RunStatus

_ANSWER = ConfigDict(extra="forbid", frozen=True)


class LiveAnswer(BaseModel):
    model_config = _ANSWER

    status: Literal["alive"]


class PingAnswer(BaseModel):
    model_config = _ANSWER

    status: Literal["ok", "degraded"]
    model_version: str
    degraded: dict[str, str] | None = Field(
        default=None, description="Only when degraded: each failing dependency and why."
    )


class PriceRangeAnswer(BaseModel):
    model_config = _ANSWER

    low: float = Field(description="Lower bound of the range, in UF.")
    high: float = Field(description="Upper bound of the range, in UF.")
    level: float = Field(
        description="How often the true price falls inside (0.8: an 80% range), as "
        "calibrated on held-out errors of the model's training data."
    )


class PredictionAnswer(BaseModel):
    model_config = _ANSWER

    value: float = Field(description="The predicted price, in UF.")
    range: PriceRangeAnswer = Field(description="Where the price lies, and how sure that is.")
    model_version: str
    prediction_id: str = Field(description="The key of this prediction's entry in the log.")


class PricedRow(BaseModel):
    """A batch row the model priced (the batch's model_version priced it)."""

    model_config = _ANSWER

    value: float = Field(description="The predicted price, in UF.")
    range: PriceRangeAnswer = Field(description="Where the price lies, and how sure that is.")
    prediction_id: str = Field(description="The key of this prediction's entry in the log.")


class RowError(BaseModel):
    """A batch row that was not priced, and why: what /get_prediction would answer it."""

    model_config = _ANSWER

    error: str
    fields: dict[str, str] | None = Field(
        default=None, description="Each invalid field of the row and what is wrong with it."
    )
    known: list[str] | None = Field(
        default=None, description="For an unknown category: the values the model knows."
    )


class BatchAnswer(BaseModel):
    model_config = _ANSWER

    model_version: str | None = Field(
        default=None, description="The model that priced the rows; absent when none was priced."
    )
    predictions: list[PricedRow | RowError] = Field(
        description="One answer per row, in the request's order."
    )


class TrainingStarted(BaseModel):
    model_config = _ANSWER

    result: Literal["SUCCESS"]
    execution_arn: str
    execution_id: str


class TrainingStatus(BaseModel):
    model_config = _ANSWER

    execution_id: str
    run_id: str | None = Field(default=None, description="The same id, as the run table keys it.")
    status: RunStatus
    step: str | None
    started_at: str
    finished_at: str | None
    train_path: str | None
    validation_path: str | None
    metrics: dict[str, float | int] | None
    gate: dict[str, Any] | None
    model_version: str | None
    reason: str | None
    artifacts_dir: str | None = Field(
        default=None,
        description="Where the run's evaluation.json and report are: an S3 prefix on AWS, "
        "a directory under $PVP_HOME locally.",
    )


class ErrorAnswer(BaseModel):
    """Every error, whichever status; the optional fields appear where they apply."""

    model_config = _ANSWER

    error: str
    fields: dict[str, str] | None = Field(
        default=None, description="422: each invalid request field and what is wrong with it."
    )
    known: list[str] | None = Field(
        default=None, description="422 for an unknown category: the values the model knows."
    )
    running: list[str] | None = Field(
        default=None, description="409: the training runs in progress."
    )
    request_id: str | None = Field(
        default=None, description="5xx: quote it to an operator; the log has the details."
    )


class TrainingFailure(ErrorAnswer):
    """/start_training's errors keep the old API's FAILURE marker beside the error."""

    result: Literal["FAILURE"]
