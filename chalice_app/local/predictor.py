"""The in-process model from the local registry; follows deploys without a restart.

A deploy that cannot be loaded leaves the previous model serving and marks the
service degraded (/ping says why); with no model to serve at all, answers are 503.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from chalice_app.errors import ModelUnavailableError, UnknownCategoryError
from chalice_app.health import Health
from chalice_app.model_answers import read_answer
from chalice_app.ports import BatchPrediction, Prediction, PriceRange

MODEL = "model"


class LocalPredictor:
    def __init__(self, home: Path, health: Health | None = None) -> None:
        self._home = home
        self._health = health or Health()
        self._reader: Any = None

    def _current(self) -> tuple[str, Any]:
        # Imported here: training_pipeline pulls in pandas and scikit-learn.
        try:
            from training_pipeline.deployed import DeployedModelReader
            from training_pipeline.errors import ModelLoadError, NoDeployedModelError
        except ImportError as exc:
            # E.g. the Lambda package, which has no model code: say so, don't crash.
            raise ModelUnavailableError(f"local model code unavailable ({exc})") from None
        if self._reader is None:
            self._reader = DeployedModelReader(self._home)
        try:
            version, model = self._reader.current()
        except NoDeployedModelError as exc:
            raise ModelUnavailableError(str(exc) or "no model deployed") from None
        except ModelLoadError as exc:
            raise ModelUnavailableError(str(exc)) from None
        failure = self._reader.failure
        if failure is None:
            self._health.recover(MODEL)
        else:
            self._health.degrade(MODEL, f"{failure}; still serving {version}")
        return str(version), model

    def model_version(self) -> str:
        return self._current()[0]

    def predict(self, record: Mapping[str, Any]) -> Prediction:
        from training_pipeline.errors import UnknownCategoryError as ModelCategoryError

        version, model = self._current()
        try:
            estimate = model.estimate_record(record)
        except ModelCategoryError as exc:
            raise UnknownCategoryError(exc.column, exc.value, exc.known) from None
        return Prediction(
            value=estimate.value,
            model_version=version,
            range=PriceRange(low=estimate.low, high=estimate.high, level=estimate.level),
        )

    def predict_many(self, records: Sequence[Mapping[str, Any]]) -> BatchPrediction:
        # The endpoint's own serving functions, in process: a batch is priced and read
        # exactly as on AWS (one DataFrame through the model, unknown categories named).
        from training_pipeline.steps.serve import LoadedModel, predict_fn

        version, model = self._current()
        answer = predict_fn([dict(record) for record in records], LoadedModel(model, version))
        return read_answer(answer, f"model {version}", len(records))
