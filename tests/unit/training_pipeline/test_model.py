"""PriceModel: the fast single-row path, persistence and training-row filtering."""

from __future__ import annotations

from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from training_pipeline.estimator import stack_inputs
from training_pipeline.model import (
    MODEL_FILENAME,
    RANGE_LEVEL,
    ModelParams,
    PriceModel,
)
from training_pipeline.sample_data import make_sample
from training_pipeline.schema import FEATURES, TARGET
from training_pipeline.training import fit_model

# Few trees and folds: these tests compare models, they do not need good ones.
QUICK = ModelParams(iterations=30, depth=4, range_folds=2, stack_iterations=50)


def _varied_rows(rows: int = 300) -> pd.DataFrame:
    """Ordinary rows plus the edge cases the API sees: zero, huge and swapped areas."""
    frame = make_sample(rows, seed=99)[list(FEATURES)].copy()
    rng = np.random.default_rng(5)
    picks = rng.permutation(rows)
    frame.loc[picks[0:25], "net_usable_area"] = 0.0
    frame.loc[picks[25:50], "net_area"] = 0.0
    frame.loc[picks[50:60], ["net_usable_area", "net_area"]] = 0.0
    frame.loc[picks[60:80], "net_usable_area"] = 1_430_000.0
    frame.loc[picks[80:90], "net_area"] = 1e9
    frame.loc[picks[90:120], "net_usable_area"] = frame.loc[picks[90:120], "net_area"] * 2.5
    frame.loc[picks[120:130], "n_rooms"] = 0.0
    frame.loc[picks[130:140], "sector"] = "Las Condes"
    frame.loc[picks[140:150], "latitude"] = -20.0
    return frame


def test_single_row_path_equals_batch_path_exactly(small_model: PriceModel) -> None:
    # GIVEN a few hundred varied rows, edge cases included
    frame = _varied_rows()

    # WHEN predicted as one batch and one row at a time
    batch, problems = small_model.predict_frame(frame)
    single = np.array([small_model.predict_record(r) for r in frame.to_dict("records")])

    # THEN every value is bit-for-bit the same
    assert all(p is None for p in problems)
    assert np.isfinite(batch).all()
    mismatches = np.flatnonzero(batch != single)
    assert mismatches.size == 0, (
        f"rows {mismatches[:10]}: {batch[mismatches[:3]]} vs {single[mismatches[:3]]}"
    )


def test_ranges_of_both_paths_are_equal_and_hold_their_value(small_model: PriceModel) -> None:
    frame = _varied_rows()

    values, lows, highs, problems = small_model.estimate_frame(frame)
    single = [small_model.estimate_record(r) for r in frame.to_dict("records")]

    assert all(p is None for p in problems)
    np.testing.assert_array_equal([e.value for e in single], values)
    np.testing.assert_array_equal([e.low for e in single], lows)
    np.testing.assert_array_equal([e.high for e in single], highs)
    assert all(e.level == RANGE_LEVEL for e in single)
    assert (lows < values).all()
    assert (values < highs).all()


def test_batch_path_is_catboosts_own_predictors_booster_plus_stacker(
    small_model: PriceModel,
) -> None:
    frame = _varied_rows(100)

    values, _ = small_model.predict_frame(frame)

    estimator = small_model.estimator
    matrix = small_model.features.transform(frame)
    boosted = estimator.booster.predict(matrix, thread_count=1)
    inputs = stack_inputs(boosted, *estimator.neighbours.predict(matrix), matrix)
    correction = estimator.stacker.predict(inputs, thread_count=1)
    # The stacker moves the boosted price, by a plausible amount (log scale)
    assert np.abs(correction).max() > 0
    assert np.abs(correction).max() < 1.5
    np.testing.assert_array_equal(values, np.exp(boosted + correction))


def test_predictions_are_in_a_plausible_uf_range(small_model: PriceModel) -> None:
    values, _ = small_model.predict_frame(make_sample(200, seed=3))

    assert np.median(values) == pytest.approx(8000, rel=0.6)
    assert (values > 500).all()


def test_save_and_load_give_identical_predictions(small_model: PriceModel, tmp_path: Path) -> None:
    frame = _varied_rows(120)

    path = small_model.save(tmp_path / "model")
    loaded = PriceModel.load(tmp_path / "model")

    assert path == tmp_path / "model" / MODEL_FILENAME
    for got, expected in zip(
        loaded.estimate_frame(frame), small_model.estimate_frame(frame), strict=True
    ):
        np.testing.assert_array_equal(got, expected)
    record = frame.to_dict("records")[7]
    assert loaded.estimate_record(record) == small_model.estimate_record(record)
    assert loaded.known_categories() == small_model.known_categories()


def test_a_model_saved_in_the_old_format_is_refused_with_a_reason(tmp_path: Path) -> None:
    # main's artifact before issue 9 was a bare scikit-learn pipeline, with no range
    joblib.dump(Pipeline([("noop", "passthrough")]), tmp_path / MODEL_FILENAME)

    with pytest.raises(ValueError, match="train a new one"):
        PriceModel.load(tmp_path)


def test_training_drops_rows_priced_under_the_minimum(train_frame: pd.DataFrame) -> None:
    # GIVEN the same data with cheap entry errors spliced in at several places
    params = QUICK
    junk = train_frame.iloc[[0, 1, 2, 3]].copy()
    junk[TARGET] = [0, 0, 50, params.min_train_price - 1]
    dirty = pd.concat(
        [
            train_frame.iloc[:100],
            junk.iloc[:2],
            train_frame.iloc[100:400],
            junk.iloc[2:],
            train_frame.iloc[400:],
        ],
        ignore_index=True,
    )
    assert len(dirty) == len(train_frame) + 4

    # WHEN a model is trained on each
    clean_model = fit_model(train_frame, train_frame[TARGET], params)
    dirty_model = fit_model(dirty, dirty[TARGET], params)

    # THEN the junk rows made no difference at all
    query = make_sample(100, seed=4)
    np.testing.assert_array_equal(
        dirty_model.predict_frame(query)[0], clean_model.predict_frame(query)[0]
    )


def test_rows_at_the_minimum_price_are_kept(train_frame: pd.DataFrame) -> None:
    params = QUICK
    edge = train_frame.iloc[:20].copy()
    edge[TARGET] = params.min_train_price
    with_edge = pd.concat([train_frame, edge], ignore_index=True)

    base = fit_model(train_frame, train_frame[TARGET], params)
    other = fit_model(with_edge, with_edge[TARGET], params)

    query = train_frame.iloc[:20]
    assert not np.array_equal(base.predict_frame(query)[0], other.predict_frame(query)[0])
