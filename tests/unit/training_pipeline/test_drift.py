"""PSI, its bands and the report's rules, on numbers small enough to check by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from training_pipeline.drift import (
    DRIFTED,
    MIN_ROWS,
    NO_REFERENCE,
    NOT_ENOUGH_DATA,
    STABLE,
    WATCH,
    band,
    categorical_drift,
    compare,
    numeric_drift,
    psi,
)
from training_pipeline.profile import (
    CategoricalProfile,
    Profile,
    bin_shares,
    build_profile,
    numeric_profile,
    parse_profile,
)
from training_pipeline.schema import FEATURES


def test_psi_is_zero_for_equal_shares_and_matches_the_formula() -> None:
    assert psi([0.5, 0.5], [0.5, 0.5]) == 0.0
    expected = (0.7 - 0.5) * math.log(0.7 / 0.5) + (0.3 - 0.5) * math.log(0.3 / 0.5)
    assert psi([0.5, 0.5], [0.7, 0.3]) == pytest.approx(expected)


def test_an_empty_bin_is_floored_not_infinite() -> None:
    assert math.isfinite(psi([1.0, 0.0], [0.5, 0.5]))


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.0, STABLE), (0.0999, STABLE), (0.1, WATCH), (0.25, WATCH), (0.2501, DRIFTED)],
)
def test_the_usual_bands(value: float, expected: str) -> None:
    assert band(value) == expected


def test_a_value_on_an_edge_falls_in_the_lower_bin() -> None:
    shares = bin_shares(np.array([1.0, 2.0]), np.array([0.5, 1.0, 1.5, 2.0, 3.0]))
    assert shares.tolist() == [0.4, 0.4, 0.2]


def test_a_feature_of_few_values_gets_one_edge_per_value_not_empty_bins() -> None:
    rooms = np.array([1, 2, 2, 2, 3, 3, 3, 3, 4, 5] * 10, dtype=float)
    profile = numeric_profile(rooms)
    assert profile.edges == sorted(set(profile.edges))
    assert sum(profile.shares) == pytest.approx(1.0)
    assert all(share > 0 for share in profile.shares)


def test_a_numeric_shift_reads_drifted_with_the_share_outside_the_range() -> None:
    rng = np.random.default_rng(0)
    reference = numeric_profile(rng.normal(100, 10, 5000))
    same = numeric_drift("x", reference, rng.normal(100, 10, 1000), MIN_ROWS)
    moved = numeric_drift("x", reference, rng.normal(130, 10, 1000), MIN_ROWS)
    assert same.status == STABLE and same.rows == 1000
    assert moved.status == DRIFTED and moved.psi is not None and moved.psi > 1
    assert moved.outside_share is not None and moved.outside_share > 0.1
    assert moved.how == "median 99.72 -> 129.9; 0.0% below and 40.6% above the training range"


def test_unseen_categories_are_counted_named_and_drift() -> None:
    reference = CategoricalProfile({"a": 0.5, "b": 0.5})
    values = ["A", "b "] * 200 + ["Colina"] * 100
    found = categorical_drift("sector", reference, values, MIN_ROWS)
    assert found.unseen_share == pytest.approx(0.2)
    assert found.unseen == ["colina"]
    assert found.status == DRIFTED


def test_fewer_rows_than_the_minimum_say_not_enough_data() -> None:
    reference = CategoricalProfile({"a": 1.0})
    found = categorical_drift("sector", reference, ["z"] * 10, MIN_ROWS)
    assert found.status == NOT_ENOUGH_DATA and found.psi is None and found.rows == 10


def _frame(rows: int, seed: int) -> pd.DataFrame:
    from training_pipeline.sample_data import make_sample

    return make_sample(rows, seed)


def test_without_a_profile_the_report_says_no_reference() -> None:
    report = compare(None, [], [])
    assert report.status == NO_REFERENCE and report.features == []


def test_a_profile_survives_its_json_and_compares_a_sample_of_itself_as_stable() -> None:
    train = _frame(3000, 1)
    profile = build_profile(train, train["price"].to_numpy(dtype=float))
    again = parse_profile(__import__("json").dumps(profile.as_dict()).encode())
    assert isinstance(again, Profile) and again == profile

    week = _frame(1000, 2)
    report = compare(
        again, week[list(FEATURES)].to_dict("records"), week["price"].tolist(), model_version="v1"
    )
    assert report.status == STABLE, [(f.feature, f.psi) for f in report.features]
    assert report.drifted_features == []
    assert {f.rows for f in report.features} == {1000}
