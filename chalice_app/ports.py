"""The backends the handlers need, one small interface each.

Local adapters live in `chalice_app.local`; AWS adapters will implement the same
protocols (Secrets Manager, SageMaker endpoint, DynamoDB, SageMaker Pipelines).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from chalice_app.auth import KeyChecker


@dataclass(frozen=True)
class Prediction:
    value: float
    model_version: str


@dataclass(frozen=True)
class PredictionEntry:
    prediction_id: str
    created_at: str
    inputs: Mapping[str, Any]
    value: float
    model_version: str
    latency_ms: float


@dataclass(frozen=True)
class Execution:
    execution_id: str
    execution_arn: str


class KeyStore(Protocol):
    def accepted_keys(self) -> frozenset[str]:
        """The accepted keys; may be served from a cache."""
        ...

    def refresh(self) -> frozenset[str]:
        """Re-read the store, bypassing any cache (callers rate-limit this)."""
        ...


class Predictor(Protocol):
    def predict(self, record: Mapping[str, Any]) -> Prediction:
        """Price one property given snake_case features; raises UnknownCategoryError."""
        ...

    def model_version(self) -> str:
        """The version that would answer now; raises ModelUnavailableError."""
        ...


class PredictionLog(Protocol):
    def record(self, entry: PredictionEntry) -> None: ...


class TrainingLauncher(Protocol):
    def start(self, train_path: str, validation_path: str) -> Execution:
        """Start a run in the background; raises TrainingInputError for unusable paths."""
        ...


class RunStatusReader(Protocol):
    def get(self, execution_id: str) -> dict[str, Any] | None:
        """The run's status, step, metrics, gate and model version; None if unknown."""
        ...


@dataclass(frozen=True)
class Services:
    """Everything a handler may call, built once per process."""

    keys: KeyChecker
    predictor: Predictor
    prediction_log: PredictionLog
    launcher: TrainingLauncher
    runs: RunStatusReader
    max_body_bytes: int
    default_train_path: str
    default_validation_path: str
