from __future__ import annotations

import math

import numpy as np
import pytest

from contract.vocabulary import is_count
from training_pipeline.metrics import range_metrics, regression_metrics


def test_values_on_a_hand_computed_example() -> None:
    # errors: -10, +20, -30, +40 on truths 100, 200, 300, 400
    truth = np.array([100.0, 200.0, 300.0, 400.0])
    pred = np.array([90.0, 220.0, 270.0, 440.0])

    metrics = regression_metrics(truth, pred)

    assert metrics["mae"] == pytest.approx(25.0)
    assert metrics["rmse"] == pytest.approx(math.sqrt((100 + 400 + 900 + 1600) / 4))
    # every APE is 10%
    assert metrics["mape"] == pytest.approx(10.0)
    assert metrics["median_ape"] == pytest.approx(10.0)
    # SS_res = 3000, SS_tot = 50000
    assert metrics["r2"] == pytest.approx(1 - 3000 / 50000)
    assert metrics["n_rows"] == 4
    assert list(metrics) == ["rmse", "mae", "mape", "median_ape", "r2", "n_rows"]


def test_mape_divides_by_the_truth() -> None:
    # truth first: |50-100|/100 = 50%, |300-200|/200 = 50% -> 50%
    # swapped (divides by the prediction): 50/50 = 100%, 100/300 = 33.3% -> 66.7%
    truth, pred = np.array([100.0, 200.0]), np.array([50.0, 300.0])

    right = regression_metrics(truth, pred)
    swapped = regression_metrics(pred, truth)

    assert right["mape"] == pytest.approx(50.0)
    assert right["median_ape"] == pytest.approx(50.0)
    assert swapped["mape"] == pytest.approx(200.0 / 3.0)
    assert right["mape"] != pytest.approx(swapped["mape"])


def test_the_symmetric_example_is_75_percent_either_way() -> None:
    # y_true=[100, 200], y_pred=[50, 400]: 50% and 100% -> 75%. Swapped gives 100% and
    # 50% -> also 75%, so this pair alone cannot catch swapped arguments (see above).
    truth, pred = np.array([100.0, 200.0]), np.array([50.0, 400.0])

    assert regression_metrics(truth, pred)["mape"] == pytest.approx(75.0)
    assert regression_metrics(pred, truth)["mape"] == pytest.approx(75.0)


def test_a_perfect_prediction() -> None:
    truth = np.array([1500.0, 8000.0, 22000.0])

    metrics = regression_metrics(truth, truth.copy())

    assert metrics["rmse"] == 0.0
    assert metrics["mae"] == 0.0
    assert metrics["mape"] == 0.0
    assert metrics["r2"] == 1.0


def test_counts_are_the_metrics_named_as_counts() -> None:
    truth, predicted = np.array([100.0, 200.0, 400.0]), np.array([110.0, 190.0, 380.0])
    produced = {**regression_metrics(truth, predicted), "n_unscored": 0}
    produced |= range_metrics(truth, predicted, predicted * 0.8, predicted * 1.2)

    assert {name for name, value in produced.items() if isinstance(value, int)} == {
        name for name in produced if is_count(name)
    }
