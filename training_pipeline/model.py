"""The price model: one definition used by training, evaluation and serving.

A scikit-learn Pipeline (PropertyFeatures -> GradientBoostingRegressor on log price).
`PriceModel` wraps a fitted one with the two ways to ask it: a batch of rows, and one
row through a fast path that skips DataFrame overhead and returns the same values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.pipeline import Pipeline

from training_pipeline.data import require_columns
from training_pipeline.features import UNKNOWN_CODE, PropertyFeatures
from training_pipeline.forest import FlatForest
from training_pipeline.schema import CATEGORICAL_FEATURES, FEATURES, NUMERIC_FEATURES

MODEL_FILENAME = "model.joblib"


@dataclass(frozen=True)
class ModelParams:
    """Hyperparameters, chosen by 5-fold CV on the real data (see README)."""

    # Batch time grows with trees x their size: few deep, leaf-limited trees meet the
    # 300,000 rows/s target at the accuracy of many more shallow ones.
    n_estimators: int = 64
    max_depth: int = 10
    learning_rate: float = 0.18
    subsample: float = 1.0
    min_samples_leaf: int = 5
    random_state: int = 0
    # Training rows priced under this (UF) are dropped: a 0 UF or 50 UF house is an
    # entry error, and on a log target a handful of them drag whole leaves down.
    min_train_price: float = 1000.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def build_pipeline(params: ModelParams) -> Pipeline:
    regressor = GradientBoostingRegressor(
        n_estimators=params.n_estimators,
        max_depth=params.max_depth,
        learning_rate=params.learning_rate,
        subsample=params.subsample,
        min_samples_leaf=params.min_samples_leaf,
        random_state=params.random_state,
    )
    # Prices span two orders of magnitude; errors are relative, so fit log(price).
    target = TransformedTargetRegressor(
        regressor=regressor, func=np.log, inverse_func=np.exp, check_inverse=False
    )
    return Pipeline([("features", PropertyFeatures()), ("regressor", target)])


def fit_model(frame: pd.DataFrame, target: pd.Series, params: ModelParams) -> PriceModel:
    # Also guards the log target against a 0 UF price if min_train_price is lowered.
    keep = ((target >= params.min_train_price) & (target > 0)).to_numpy()
    pipeline = build_pipeline(params)
    pipeline.fit(frame.loc[keep, list(FEATURES)], target[keep].to_numpy(dtype=np.float64))
    return PriceModel(pipeline)


class PriceModel:
    """A fitted pipeline with a batch path and an equal, faster single-row path."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.features: PropertyFeatures = pipeline.named_steps["features"]
        self._target: TransformedTargetRegressor = pipeline.named_steps["regressor"]
        self._forest = FlatForest(self._target.regressor_)

    def predict_frame(self, frame: pd.DataFrame) -> tuple[np.ndarray, list[str | None]]:
        """Predict every row; a row the model cannot score gets NaN and a reason.

        Raises DataValidationError when a feature column is missing altogether.
        """
        require_columns(frame.columns, FEATURES)
        numeric = frame[list(NUMERIC_FEATURES)].apply(pd.to_numeric, errors="coerce")
        not_numeric = ~np.isfinite(numeric.to_numpy(dtype=np.float64))
        matrix = self.features.transform(
            pd.concat([frame[list(CATEGORICAL_FEATURES)], numeric], axis=1)
        )
        unknown = matrix[:, : len(CATEGORICAL_FEATURES)] == UNKNOWN_CODE
        scorable = ~(unknown.any(axis=1) | not_numeric.any(axis=1))
        values = np.full(len(frame), np.nan)
        if scorable.any():
            # The pipeline's own second step, on the rows its first step could encode.
            values[scorable] = self._target.predict(matrix[scorable])
        problems: list[str | None] = [None] * len(frame)
        for row in np.flatnonzero(~scorable):
            if unknown[row].any():
                col = CATEGORICAL_FEATURES[int(np.argmax(unknown[row]))]
                problems[row] = f"unknown {col} '{frame[col].iloc[row]}'"
            else:
                col = NUMERIC_FEATURES[int(np.argmax(not_numeric[row]))]
                problems[row] = f"{col} is not a finite number"
        return values, problems

    def predict_record(self, record: Mapping[str, Any]) -> float:
        """One row as a mapping of column -> raw value; raises UnknownCategoryError."""
        row = self.features.transform_record(record)
        return float(np.exp(self._forest.predict_row(row)))

    def known_categories(self) -> dict[str, list[str]]:
        return {col: self.features.known_categories(col) for col in CATEGORICAL_FEATURES}

    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / MODEL_FILENAME
        joblib.dump(self.pipeline, path)
        return path

    @classmethod
    def load(cls, directory: Path) -> PriceModel:
        return cls(joblib.load(directory / MODEL_FILENAME))
