"""The price model: one definition used by training, evaluation and serving.

PropertyFeatures -> log(price) from a CatBoost regressor, corrected by a small stacked
CatBoost model that weighs it against the prices of the nearest listed twins
(`estimator.LogPriceEstimator`), with an 80% price range calibrated on out-of-fold
errors (`price_range.PriceRange`). `PriceModel` answers a batch of rows through
CatBoost's own predictors, and one row through equal, faster copies of their trees
(`oblivious.ObliviousForest`).
"""

from __future__ import annotations

import tarfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

import joblib
import numpy as np
import pandas as pd

from training_pipeline.data import require_columns
from training_pipeline.estimator import LogPriceEstimator, combine, stack_inputs
from training_pipeline.features import TYPE_COLUMN, UNKNOWN_CODE, PropertyFeatures
from training_pipeline.oblivious import ObliviousForest
from training_pipeline.price_range import PriceRange
from training_pipeline.schema import CATEGORICAL_FEATURES, FEATURES, NUMERIC_FEATURES

MODEL_FILENAME = "model.joblib"
RANGE_LEVEL = 0.8
# What model.joblib holds; 1 was a bare scikit-learn Pipeline without a price range,
# 2 a booster blended with the twins by a fixed formula (no stacker).
ARTIFACT_FORMAT = 3


@dataclass(frozen=True)
class ModelParams:
    """Hyperparameters, chosen by 5-fold CV on the real data (see docs/model.md)."""

    # Oblivious trees (one question per level) are what CatBoost evaluates at over a
    # million rows a second. With the twins, 800 trees of depth 6 came within 15 UF of
    # CV MAE of 1,000 trees of depth 8 and fit in a third of the time (training fits
    # the booster range_folds + 1 times).
    iterations: int = 800
    depth: int = 6
    learning_rate: float = 0.15
    l2_leaf_reg: float = 3.0
    random_state: int = 0
    # The nearest-twins part (training_pipeline/neighbours.py): how many listings, how
    # far a size ratio of e counts (km), the distance softening (km).
    neighbours: int = 2
    neighbour_area_km: float = 3.0
    neighbour_softening_km: float = 0.003
    # The stacker (training_pipeline/estimator.py), fitted on the booster's and the
    # twins' out-of-fold values. 400 trees at 0.075 evaluate 1.4 ms faster per 10,000
    # rows but scored CV MAE 1,981 and RMSE 4,415 (these: 1,975 and 4,380).
    # stack_folds cross-fit it to get the range's calibration errors.
    stack_iterations: int = 600
    stack_depth: int = 4
    stack_learning_rate: float = 0.05
    stack_folds: int = 2
    # Training rows priced under this (UF) are dropped: a 0 UF or 50 UF house is an
    # entry error, and on a log target a handful of them drag whole leaves down.
    min_train_price: float = 1000.0
    # Folds whose out-of-fold values train the stacker and calibrate the price range.
    # Each fold's model sees 1 - 1/range_folds of the rows and errs a little more than
    # the final one: with the fixed blend, 5 folds gave a CV coverage of 81.1% and a
    # median width of 35.2%, 10 gave 80.6% and 34.6%.
    range_folds: int = 10

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PriceEstimate:
    """A price and its RANGE_LEVEL range, in UF."""

    value: float
    low: float
    high: float
    level: float


class PriceModel:
    """A fitted model with a batch path and an equal, faster single-row path."""

    def __init__(
        self, features: PropertyFeatures, estimator: LogPriceEstimator, price_range: PriceRange
    ) -> None:
        self.features = features
        self.estimator = estimator
        self.price_range = price_range
        self._forest = ObliviousForest(estimator.booster)
        self._stacker_forest = ObliviousForest(estimator.stacker)

    def estimate_frame(
        self, frame: pd.DataFrame
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str | None]]:
        """Values, lows and highs for every row; NaN and a reason where unscorable.

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
            values[scorable] = np.exp(self.estimator.predict(matrix[scorable]))
        lows, highs = self.price_range.bounds(values, matrix[:, TYPE_COLUMN])
        problems: list[str | None] = [None] * len(frame)
        for row in np.flatnonzero(~scorable):
            if unknown[row].any():
                col = CATEGORICAL_FEATURES[int(np.argmax(unknown[row]))]
                problems[row] = f"unknown {col} '{frame[col].iloc[row]}'"
            else:
                col = NUMERIC_FEATURES[int(np.argmax(not_numeric[row]))]
                problems[row] = f"{col} is not a finite number"
        return values, lows, highs, problems

    def predict_frame(self, frame: pd.DataFrame) -> tuple[np.ndarray, list[str | None]]:
        """Predict every row; a row the model cannot score gets NaN and a reason."""
        values, _, _, problems = self.estimate_frame(frame)
        return values, problems

    def estimate_record(self, record: Mapping[str, Any]) -> PriceEstimate:
        """One row as a mapping of column -> raw value; raises UnknownCategoryError."""
        row = self.features.transform_record(record)
        # One-element arrays through the batch path's own arithmetic and exp.
        boosted = np.array([self._forest.predict_row(row)])
        inputs = stack_inputs(boosted, *self.estimator.neighbours.predict(row), row)
        correction = np.array([self._stacker_forest.predict_row(inputs)])
        value = float(np.exp(combine(boosted, correction))[0])
        low, high = self.price_range.bounds_one(value, int(row[0, TYPE_COLUMN]))
        return PriceEstimate(value, low, high, self.price_range.level)

    def predict_record(self, record: Mapping[str, Any]) -> float:
        """One row as a mapping of column -> raw value; raises UnknownCategoryError."""
        return self.estimate_record(record).value

    def known_categories(self) -> dict[str, list[str]]:
        return {col: self.features.known_categories(col) for col in CATEGORICAL_FEATURES}

    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / MODEL_FILENAME
        # One file holds all three parts, so a registry version is always a whole model.
        parts = {
            "format": ARTIFACT_FORMAT,
            "features": self.features,
            "estimator": self.estimator,
            "range": self.price_range,
        }
        joblib.dump(parts, path)
        return path

    @classmethod
    def load(cls, directory: Path) -> PriceModel:
        """Raises ValueError for a model saved in another format (retrain it)."""
        parts = joblib.load(directory / MODEL_FILENAME)
        if not isinstance(parts, dict) or parts.get("format") != ARTIFACT_FORMAT:
            raise ValueError(
                f"{directory / MODEL_FILENAME} is not a format-{ARTIFACT_FORMAT} price model "
                "(saved by an older version?): train a new one"
            )
        return cls(parts["features"], parts["estimator"], parts["range"])


def load_model(model_dir: Path) -> PriceModel:
    """A model directory, or one holding the model.tar.gz SageMaker packs it into."""
    archive = model_dir / "model.tar.gz"
    if not (model_dir / MODEL_FILENAME).exists() and archive.exists():
        with tarfile.open(archive) as tar:
            tar.extractall(model_dir, filter="data")
    return PriceModel.load(model_dir)


def pack_model(model_dir: Path, archive: Path | IO[bytes]) -> None:
    """model.tar.gz as SageMaker packs a training job's /opt/ml/model (what load_model
    unpacks): the directory's files at the archive's top level."""
    target = {"name": archive} if isinstance(archive, Path) else {"fileobj": archive}
    with tarfile.open(mode="w:gz", **target) as tar:
        for path in sorted(model_dir.iterdir()):
            tar.add(path, arcname=path.name)
