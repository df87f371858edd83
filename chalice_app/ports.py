"""The backends the handlers need, one small interface each, and the values they pass.

Local adapters live in `chalice_app.local`, AWS adapters in `chalice_app.aws`; both
implement these protocols. Nothing here knows about HTTP or about a concrete adapter.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from chalice_app.errors import UnknownCategoryError


@dataclass(frozen=True)
class PriceRange:
    """Where the price lies with probability `level` (0.8: an 80% range)."""

    low: float
    high: float
    level: float


@dataclass(frozen=True)
class Prediction:
    value: float
    model_version: str
    range: PriceRange


@dataclass(frozen=True)
class BatchPrediction:
    """One model's answer to many records, in their order: a price, or the category the
    model never saw (a row's own problem, not the batch's)."""

    model_version: str
    results: tuple[Prediction | UnknownCategoryError, ...]


@dataclass(frozen=True)
class PredictionEntry:
    prediction_id: str
    created_at: str
    inputs: Mapping[str, Any]
    value: float
    model_version: str
    latency_ms: float
    # Kept with the value so the log can show, later, how often prices fell inside.
    range: PriceRange | None = None
    # The name of the client's key (never the key): who asked, for the reports.
    client: str | None = None

    def as_record(self) -> dict[str, Any]:
        """The entry as plain JSON values (what a recoverable log line carries)."""
        return {**asdict(self), "inputs": dict(self.inputs)}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> PredictionEntry:
        """The entry `as_record` wrote; KeyError/TypeError/ValueError when it is not one."""
        bounds = record.get("range")
        return cls(
            prediction_id=str(record["prediction_id"]),
            created_at=str(record["created_at"]),
            inputs=dict(record["inputs"]),
            value=float(record["value"]),
            model_version=str(record["model_version"]),
            latency_ms=float(record["latency_ms"]),
            range=None if bounds is None else PriceRange(**bounds),
            client=None if record.get("client") is None else str(record["client"]),
        )

    def range_columns(self) -> dict[str, float | None]:
        """The range as flat fields, the way both logs store it (None: no range)."""
        bounds = self.range
        return {
            "range_low": None if bounds is None else bounds.low,
            "range_high": None if bounds is None else bounds.high,
            "range_level": None if bounds is None else bounds.level,
        }


@dataclass(frozen=True)
class Execution:
    execution_id: str
    execution_arn: str


class KeyStore(Protocol):
    def accepted_keys(self) -> Mapping[str, str]:
        """Each accepted key with its client's name; may be served from a cache."""
        ...

    def refresh(self) -> Mapping[str, str]:
        """Re-read the store, bypassing any cache (callers rate-limit this)."""
        ...


class Predictor(Protocol):
    def predict(self, record: Mapping[str, Any]) -> Prediction:
        """Price one property given snake_case features; raises UnknownCategoryError."""
        ...

    def model_version(self) -> str:
        """The version that would answer now; raises ModelUnavailableError."""
        ...

    def predict_many(self, records: Sequence[Mapping[str, Any]]) -> BatchPrediction:
        """Price many properties with one model call; raises ModelUnavailableError."""
        ...


class PredictionLog(Protocol):
    def record(self, entry: PredictionEntry) -> None: ...

    def record_many(self, entries: Sequence[PredictionEntry]) -> None:
        """Write a batch; PredictionLogError (BatchLogError naming the entries left out)."""
        ...


class PredictionReader(Protocol):
    def read_day(self, day: str) -> Iterator[PredictionEntry]:
        """Every prediction logged on one UTC day (YYYY-MM-DD), oldest first.

        Raises PredictionLogError when the log cannot be read.
        """
        ...


class TrainingLauncher(Protocol):
    def start(
        self,
        train_path: str | None,
        validation_path: str | None,
        *,
        idempotency_key: str | None = None,
        client: str | None = None,
    ) -> Execution:
        """Start a run in the background on the given data, or the backend's defaults.

        The same idempotency key from the same client never starts a second run. Raises
        TrainingInputError for unusable locations, TrainingUnavailableError when no run
        can start now.
        """
        ...


class RunStatusReader(Protocol):
    def get(self, execution_id: str) -> dict[str, Any] | None:
        """The run's status, step, metrics, gate and model version; None if unknown.

        Raises TrainingUnavailableError when the status cannot be read now.
        """
        ...
