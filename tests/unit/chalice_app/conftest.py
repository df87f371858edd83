"""Fakes of our own ports, for service-layer tests without I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from chalice_app.auth import KeyChecker
from chalice_app.config import Settings
from chalice_app.errors import (
    BatchLogError,
    ModelUnavailableError,
    PredictionLogError,
    TrainingInputError,
    UnknownCategoryError,
)
from chalice_app.ports import BatchPrediction, Execution, Prediction, PredictionEntry, PriceRange
from chalice_app.wiring import Backends

GOOD_KEY = "good-key"
KNOWN_SECTORS = ["nunoa", "vitacura"]


class FakeKeyStore:
    """Keys given as a set belong to a client named after the key's first letter."""

    def __init__(self, keys: set[str] | dict[str, str]) -> None:
        self.keys = dict(keys) if isinstance(keys, dict) else {k: f"client-{k[:1]}" for k in keys}
        self.reads = 0

    def accepted_keys(self) -> dict[str, str]:
        return dict(self.keys)

    def refresh(self) -> dict[str, str]:
        self.reads += 1
        return dict(self.keys)


class FakePredictor:
    def __init__(self) -> None:
        self.version: str | None = "v0001"
        self.seen: list[Mapping[str, Any]] = []
        self.calls = 0  # predict_many calls

    def model_version(self) -> str:
        if self.version is None:
            raise ModelUnavailableError("no model is deployed yet")
        return self.version

    def predict(self, record: Mapping[str, Any]) -> Prediction:
        version = self.model_version()
        if record["sector"].lower() not in KNOWN_SECTORS:
            raise UnknownCategoryError("sector", record["sector"], KNOWN_SECTORS)
        self.seen.append(record)
        return Prediction(
            value=1234.5, model_version=version, range=PriceRange(1000.0, 1500.0, 0.8)
        )

    def predict_many(self, records: Sequence[Mapping[str, Any]]) -> BatchPrediction:
        self.calls += 1
        results: list[Prediction | UnknownCategoryError] = []
        for record in records:
            try:
                results.append(self.predict(record))
            except UnknownCategoryError as exc:
                results.append(exc)
        return BatchPrediction(self.model_version(), tuple(results))


class FakeLog:
    def __init__(self) -> None:
        self.entries: list[PredictionEntry] = []
        self.fail_with: str | None = None

        self.refuse_positions: set[int] = set()  # record_many writes all but these

    def record(self, entry: PredictionEntry) -> None:
        if self.fail_with is not None:
            raise PredictionLogError(self.fail_with)
        self.entries.append(entry)

    def record_many(self, entries: Sequence[PredictionEntry]) -> None:
        if self.fail_with is not None:
            raise PredictionLogError(self.fail_with)
        kept = [e for i, e in enumerate(entries) if i not in self.refuse_positions]
        left_out = [e.prediction_id for e in entries if e not in kept]
        self.entries += kept
        if left_out:
            raise BatchLogError("throttled", left_out)


class FakeLauncher:
    def __init__(self) -> None:
        self.started: list[tuple[str | None, ...]] = []

    def start(
        self,
        train_path: str | None,
        validation_path: str | None,
        *,
        idempotency_key: str | None = None,
        client: str | None = None,
    ) -> Execution:
        if train_path and "missing" in train_path:
            raise TrainingInputError("train", f"no such file: {train_path}")
        self.started.append((train_path, validation_path, idempotency_key, client))
        return Execution(execution_id="run-1", execution_arn="local:training:run-1")


RUNNING: dict[str, Any] = {
    "status": "running",
    "step": "train",
    "started_at": "2026-01-01T00:00:00.000+00:00",
    "finished_at": None,
    "train_path": "train.csv",
    "validation_path": "test.csv",
    "metrics": None,
    "gate": None,
    "model_version": None,
    "reason": None,
}


class FakeRuns:
    def get(self, execution_id: str) -> dict[str, Any] | None:
        return dict(RUNNING) if execution_id == "run-1" else None


@pytest.fixture
def fake_backends() -> Backends:
    return Backends(
        settings=Settings(
            backend="local",
            stage="local",
            key_refresh_seconds=60.0,
            key_ttl_seconds=300.0,
            max_body_bytes=1024,
        ),
        keys=KeyChecker(FakeKeyStore({GOOD_KEY}), refresh_interval=60.0),
        predictor=FakePredictor(),
        prediction_log=FakeLog(),
        launcher=FakeLauncher(),
        runs=FakeRuns(),
    )
