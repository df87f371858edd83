"""The 80% range: conformal ranks, per-type factors, and coverage on known noise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from training_pipeline.model import RANGE_LEVEL, ModelParams
from training_pipeline.price_range import PriceRange
from training_pipeline.sample_data import make_sample
from training_pipeline.schema import TARGET
from training_pipeline.training import fit_model

# Enough trees to learn the sample's formula; few enough to keep the test quick.
PARAMS = ModelParams(iterations=100, depth=4, range_folds=5)
# The sample's prices carry log-normal noise of this sigma (sample_data.make_sample).
SAMPLE_NOISE = 0.12


def test_bounds_are_the_conformal_ranks_per_group() -> None:
    # GIVEN 9 errors in group 0 (-4..4) and 4 in group 1
    groups = np.array([0] * 9 + [1] * 4)
    errors = np.array([-4, -3, -2, -1, 0, 1, 2, 3, 4, -0.2, -0.1, 0.1, 0.2], dtype=float)

    fitted = PriceRange.fit(groups, errors, level=0.8)

    # THEN group 0 uses ranks floor(10 * 0.1) = 1 and ceil(10 * 0.9) = 9: -4 and 4
    assert fitted.lower[0] == pytest.approx(np.exp(-4.0))
    assert fitted.upper[0] == pytest.approx(np.exp(4.0))
    # AND the small group falls back to its extremes rather than under-cover
    assert fitted.lower[1] == pytest.approx(np.exp(-0.2))
    assert fitted.upper[1] == pytest.approx(np.exp(0.2))


def test_a_biased_group_still_holds_its_own_estimate() -> None:
    errors = np.linspace(0.1, 0.5, 50)  # the model always under-prices this group

    fitted = PriceRange.fit(np.zeros(50), errors, level=0.8)

    assert fitted.lower[0] == 1.0
    assert fitted.upper[0] > 1.0


def test_nan_values_give_nan_bounds_and_scalar_bounds_match() -> None:
    fitted = PriceRange(0.8, {0: 0.9, 1: 0.8}, {0: 1.1, 1: 1.3})
    values = np.array([1000.0, np.nan, 2000.0])

    lows, highs = fitted.bounds(values, np.array([0.0, 0.0, 1.0]))

    assert np.isnan(lows[1])
    assert np.isnan(highs[1])
    assert (lows[0], highs[0]) == fitted.bounds_one(1000.0, 0)
    assert (lows[2], highs[2]) == fitted.bounds_one(2000.0, 1)


def _coverage(low: np.ndarray, high: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean((truth >= low) & (truth <= high)))


def test_range_covers_eighty_percent_of_fresh_rows_with_known_noise() -> None:
    # GIVEN a model trained on a sample whose noise is known
    train = make_sample(1500, seed=21)
    model = fit_model(train, train[TARGET], PARAMS)

    # WHEN it prices fresh rows from the same source
    fresh = make_sample(2000, seed=22)
    _, lows, highs, _ = model.estimate_frame(fresh)

    # THEN about 80% of true prices fall in their range (binomial sd here: ~0.9%)
    assert model.price_range.level == RANGE_LEVEL
    assert _coverage(lows, highs, fresh[TARGET].to_numpy()) == pytest.approx(0.8, abs=0.04)
    # AND no range is narrower than the noise alone allows (80% of N(0, s): +-1.28 s)
    assert np.median(np.log(highs / lows)) > 2 * 1.28 * SAMPLE_NOISE * 0.9


def _noisier_houses(rows: int, seed: int) -> pd.DataFrame:
    """The sample with houses' prices three times as noisy as flats'."""
    frame = make_sample(rows, seed=seed)
    rng = np.random.default_rng(seed)
    houses = (frame["type"] == "casa").to_numpy()
    extra = rng.normal(0.0, 0.3, rows) * houses
    frame[TARGET] = np.round(frame[TARGET] * np.exp(extra)).astype(int)
    return frame


def test_each_type_gets_its_own_width_and_coverage() -> None:
    train = _noisier_houses(1500, seed=31)
    model = fit_model(train, train[TARGET], PARAMS)

    fresh = _noisier_houses(2000, seed=32)
    values, lows, highs, _ = model.estimate_frame(fresh)

    truth = fresh[TARGET].to_numpy()
    widths = {}
    for kind in ("casa", "departamento"):
        mine = (fresh["type"] == kind).to_numpy()
        assert _coverage(lows[mine], highs[mine], truth[mine]) == pytest.approx(0.8, abs=0.05)
        widths[kind] = float(np.median((highs[mine] - lows[mine]) / values[mine]))
    assert widths["casa"] > 1.8 * widths["departamento"]
