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


def range_metrics(
    y_true: np.ndarray, y_pred: np.ndarray, low: np.ndarray, high: np.ndarray
) -> dict[str, float]:
    """How often the truth falls in [low, high], and the range's median width.

    The width is relative to the predicted price, as a client reads it ("+-15% of the
    estimate"), so it says nothing about the truth and can be compared across models.
    """
    truth = np.asarray(y_true, dtype=np.float64)
    inside = (truth >= low) & (truth <= high)
    return {
        "coverage": float(np.mean(inside)) if truth.size else float("nan"),
        "median_width": float(np.median((high - low) / y_pred)) if truth.size else float("nan"),
        "n_rows": int(truth.size),
    }


def range_metrics_by(
    groups: np.ndarray,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
) -> dict[str, dict[str, float]]:
    """range_metrics within each group (property type, sector), by group name."""
    names = np.asarray(groups, dtype=str)
    by_group = {}
    for name in sorted(set(names.tolist())):
        mine = names == name
        by_group[name] = range_metrics(y_true[mine], y_pred[mine], low[mine], high[mine])
    return by_group
