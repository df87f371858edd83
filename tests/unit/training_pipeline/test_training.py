"""Everything fitted on training rows is out of fold: a row's own price never reaches
the stacker's inputs for that row, nor the prediction its calibration error comes from."""

from __future__ import annotations

import numpy as np

from training_pipeline.features import PropertyFeatures
from training_pipeline.model import ModelParams
from training_pipeline.sample_data import make_sample
from training_pipeline.schema import FEATURES, TARGET
from training_pipeline.training import cross_fitted_errors, out_of_fold_views

PARAMS = ModelParams(iterations=40, depth=4, range_folds=3, stack_iterations=40)
ROW = 5


def _sample() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An encoded sample, its log prices, and the same with row 5's price a tenth."""
    frame = make_sample(400, seed=41)
    matrix = PropertyFeatures().fit(frame[list(FEATURES)]).transform(frame[list(FEATURES)])
    log_price = np.log(frame[TARGET].to_numpy(dtype=np.float64))
    changed = log_price.copy()
    # Down, not up: the stacker's absolute loss reads only the sign of a residual, and
    # row 5 is under-priced (a positive residual); a change must flip it to be seen.
    changed[ROW] -= np.log(10.0)
    return matrix, log_price, changed


def test_a_rows_own_price_cannot_reach_its_own_stacker_inputs() -> None:
    # GIVEN a sample, and the same sample with row 5's price divided by ten
    matrix, log_price, changed = _sample()

    # WHEN the booster's and the twins' out-of-fold values are computed for both
    boosted_before, inputs_before = out_of_fold_views(matrix, log_price, PARAMS)
    boosted_after, inputs_after = out_of_fold_views(matrix, changed, PARAMS)

    # THEN row 5's boosted price and every input of the stacker are the same...
    assert boosted_after[ROW] == boosted_before[ROW]
    np.testing.assert_array_equal(inputs_after[ROW], inputs_before[ROW])
    # ...while rows whose models did see the change moved: the test can tell a leak
    assert not np.array_equal(boosted_after, boosted_before)
    assert not np.array_equal(inputs_after, inputs_before)


def test_a_rows_calibration_error_comes_from_a_stacker_that_never_saw_it() -> None:
    # GIVEN fixed stacker inputs, and the price of row 5 divided by ten
    matrix, log_price, changed = _sample()
    boosted, inputs = out_of_fold_views(matrix, log_price, PARAMS)
    assert log_price[ROW] - boosted[ROW] > 0 > changed[ROW] - boosted[ROW]

    # WHEN the cross-fitted calibration errors are computed for both prices
    before = cross_fitted_errors(boosted, inputs, log_price, PARAMS)
    after = cross_fitted_errors(boosted, inputs, changed, PARAMS)

    # THEN row 5's estimate is the same (its error moved by exactly the change)...
    assert changed[ROW] - after[ROW] == log_price[ROW] - before[ROW]
    # ...while the rows of the other fold, whose stacker saw the change, moved
    assert not np.allclose(changed - after, log_price - before)
