"""Fitting the two estimators and calibrating the price range on out-of-fold errors.

Kept apart from model.py so that loading and serving a model never imports the
training-only code paths (fold splitting, calibration, CatBoost's training side).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.model_selection import KFold

from training_pipeline.estimator import LogPriceEstimator
from training_pipeline.features import TYPE_COLUMN
from training_pipeline.neighbours import NeighbourPrices, NeighbourSpace
from training_pipeline.price_range import PriceRange

if TYPE_CHECKING:
    from training_pipeline.model import ModelParams


def build_booster(params: ModelParams) -> Any:
    from catboost import CatBoostRegressor  # heavy: only where a model is fitted

    return CatBoostRegressor(
        iterations=params.iterations,
        depth=params.depth,
        learning_rate=params.learning_rate,
        l2_leaf_reg=params.l2_leaf_reg,
        random_seed=params.random_state,
        # One thread: the machine is shared, and the same seed gives the same model.
        thread_count=1,
        verbose=False,
        allow_writing_files=False,
    )


def fit_estimators(
    matrix: np.ndarray, log_price: np.ndarray, params: ModelParams
) -> LogPriceEstimator:
    """The booster and the neighbour index, both on these rows only."""
    space = NeighbourSpace(
        params.neighbours, params.neighbour_area_km, params.neighbour_softening_km
    )
    return LogPriceEstimator(
        build_booster(params).fit(matrix, log_price),
        NeighbourPrices(space, matrix, log_price),
        params.neighbour_weight,
        params.neighbour_reach_km,
    )


def out_of_fold_log_errors(
    matrix: np.ndarray, log_price: np.ndarray, params: ModelParams
) -> np.ndarray:
    """log(true) - log(predicted) for every row, each predicted by a model that never saw it."""
    errors = np.empty(len(log_price))
    folds = KFold(n_splits=params.range_folds, shuffle=True, random_state=params.random_state)
    for train_idx, held_idx in folds.split(matrix):
        estimator = fit_estimators(matrix[train_idx], log_price[train_idx], params)
        errors[held_idx] = log_price[held_idx] - estimator.predict(matrix[held_idx])
    return errors


def fit_parts(
    matrix: np.ndarray, log_price: np.ndarray, params: ModelParams, level: float
) -> tuple[LogPriceEstimator, PriceRange]:
    """The estimators on every row, and the range calibrated on out-of-fold errors."""
    errors = out_of_fold_log_errors(matrix, log_price, params)
    price_range = PriceRange.fit(matrix[:, TYPE_COLUMN], errors, level)
    return fit_estimators(matrix, log_price, params), price_range
