"""Calibration errors are out of fold: a row's own price never reaches its own prediction."""

from __future__ import annotations

import numpy as np

from training_pipeline.features import PropertyFeatures
from training_pipeline.model import ModelParams
from training_pipeline.sample_data import make_sample
from training_pipeline.schema import FEATURES, TARGET
from training_pipeline.training import out_of_fold_log_errors

PARAMS = ModelParams(iterations=40, depth=4, range_folds=3)


def test_a_rows_own_price_cannot_reach_its_own_prediction() -> None:
    # GIVEN a sample, and the same sample with row 5's price multiplied by ten
    frame = make_sample(400, seed=41)
    matrix = PropertyFeatures().fit(frame[list(FEATURES)]).transform(frame[list(FEATURES)])
    log_price = np.log(frame[TARGET].to_numpy(dtype=np.float64))
    changed = log_price.copy()
    changed[5] += np.log(10.0)

    # WHEN out-of-fold errors are computed for both
    before = out_of_fold_log_errors(matrix, log_price, PARAMS)
    after = out_of_fold_log_errors(matrix, changed, PARAMS)

    # THEN row 5's prediction is the same (its error moved by exactly the change)...
    predicted_before = log_price[5] - before[5]
    predicted_after = changed[5] - after[5]
    assert predicted_after == predicted_before
    # ...while rows whose models did see the change moved: the test can tell a leak
    assert not np.allclose(changed - after, log_price - before)
