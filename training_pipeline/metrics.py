"""Regression metrics, named and ordered the way evaluation.json reports them."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import (
    mean_absolute_error,
    mean_absolute_percentage_error,
    r2_score,
    root_mean_squared_error,
)


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """RMSE, MAE and R2 in UF; MAPE and median APE in percent of the true price.

    The truth always comes first: the old system passed predictions first, which
    divides by the prediction and understates errors on cheap properties.
    """
    truth = np.asarray(y_true, dtype=np.float64)
    pred = np.asarray(y_pred, dtype=np.float64)
    ape = np.abs(pred - truth) / np.maximum(np.abs(truth), np.finfo(np.float64).eps)
    return {
        "rmse": float(root_mean_squared_error(truth, pred)),
        "mae": float(mean_absolute_error(truth, pred)),
        "mape": float(mean_absolute_percentage_error(truth, pred) * 100.0),
        "median_ape": float(np.median(ape) * 100.0),
        "r2": float(r2_score(truth, pred)),
        "n_rows": int(truth.size),
    }
