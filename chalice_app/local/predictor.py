"""The in-process model from the local registry; follows deploys without a restart."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from chalice_app.errors import ModelUnavailableError, UnknownCategoryError
from chalice_app.ports import Prediction


class LocalPredictor:
    def __init__(self, home: Path) -> None:
        self._home = home
        self._reader: Any = None

    def _current(self) -> tuple[str, Any]:
        # Imported here: training_pipeline pulls in pandas and scikit-learn.
        try:
            from training_pipeline.errors import NoDeployedModelError
            from training_pipeline.registry import DeployedModelReader
        except ImportError as exc:
            # E.g. the Lambda package, which has no model code: say so, don't crash.
            raise ModelUnavailableError(f"local model code unavailable ({exc})") from None
        if self._reader is None:
            self._reader = DeployedModelReader(self._home)
        try:
            version, model = self._reader.current()
        except NoDeployedModelError as exc:
            raise ModelUnavailableError(str(exc) or "no model deployed") from None
        except (OSError, ValueError, EOFError) as exc:
            raise ModelUnavailableError(f"deployed model cannot be loaded: {exc}") from None
        return str(version), model

    def model_version(self) -> str:
        return self._current()[0]

    def predict(self, record: Mapping[str, Any]) -> Prediction:
        from training_pipeline.errors import UnknownCategoryError as ModelCategoryError

        version, model = self._current()
        try:
            value = model.predict_record(record)
        except ModelCategoryError as exc:
            raise UnknownCategoryError(exc.column, exc.value, exc.known) from None
        return Prediction(value=float(value), model_version=version)
