"""Feature encoding as the fitted pipeline sees it: columns, categories, odd areas."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from training_pipeline.errors import UnknownCategoryError
from training_pipeline.features import (
    CENTRE,
    FEATURE_NAMES,
    KM_PER_DEG_LAT,
    KM_PER_DEG_LON,
    ROTATIONS_DEG,
)
from training_pipeline.model import PriceModel
from training_pipeline.schema import FEATURES, KNOWN_SECTORS

FLAT: dict[str, Any] = {
    "type": "departamento",
    "sector": "vitacura",
    "net_usable_area": 90.0,
    "net_area": 100.0,
    "n_rooms": 3.0,
    "n_bathroom": 2.0,
    "latitude": -33.39,
    "longitude": -70.57,
}


def test_the_fitted_pipeline_uses_all_eight_features(small_model: PriceModel) -> None:
    booster = small_model.estimator.booster

    assert FEATURE_NAMES[: len(FEATURES)] == FEATURES
    assert booster.n_features_in_ == len(FEATURE_NAMES)
    importances = dict(zip(FEATURE_NAMES, booster.get_feature_importance(), strict=True))
    unused = [name for name in FEATURES if importances[name] <= 0]
    assert unused == []


def test_the_encoded_matrix_has_one_column_per_feature(small_model: PriceModel) -> None:
    matrix = small_model.features.transform(pd.DataFrame([FLAT]))

    assert matrix.shape == (1, len(FEATURE_NAMES))
    assert matrix.dtype == np.float32
    # usable_share is usable / total
    assert matrix[0, FEATURE_NAMES.index("usable_share")] == pytest.approx(0.9)


@pytest.mark.parametrize(
    ("column", "spelling"),
    [("type", "Departamento"), ("sector", "VITACURA"), ("sector", " Vitacura  ")],
)
def test_categories_match_case_and_spacing_insensitively(
    small_model: PriceModel, column: str, spelling: str
) -> None:
    expected = small_model.predict_record(FLAT)

    record = {**FLAT, column: spelling}

    assert small_model.predict_record(record) == expected
    values, problems = small_model.predict_frame(pd.DataFrame([record]))
    assert problems == [None]
    assert values[0] == expected


def test_sector_accents_are_folded(small_model: PriceModel) -> None:
    assert "nunoa" in small_model.known_categories()["sector"]
    plain = {**FLAT, "sector": "nunoa", "latitude": -33.455, "longitude": -70.6}

    accented = {**plain, "sector": "Ñuñoa"}

    assert small_model.predict_record(accented) == small_model.predict_record(plain)
    values, problems = small_model.predict_frame(pd.DataFrame([accented, plain]))
    assert problems == [None, None]
    assert values[0] == values[1]


def test_unknown_sector_in_a_record_raises_listing_the_known_ones(
    small_model: PriceModel,
) -> None:
    with pytest.raises(UnknownCategoryError) as caught:
        small_model.predict_record({**FLAT, "sector": "Santiago Centro"})

    assert caught.value.column == "sector"
    assert caught.value.value == "Santiago Centro"
    assert caught.value.known == sorted(KNOWN_SECTORS)
    assert all(sector in str(caught.value) for sector in KNOWN_SECTORS)


def test_unknown_type_in_a_record_raises(small_model: PriceModel) -> None:
    with pytest.raises(UnknownCategoryError, match="casa, departamento"):
        small_model.predict_record({**FLAT, "type": "oficina"})


def test_unknown_sector_in_a_frame_gives_nan_and_scores_the_rest(
    small_model: PriceModel,
) -> None:
    # GIVEN three rows, the middle one in a sector the model never saw
    rows = [FLAT, {**FLAT, "sector": "Santiago Centro"}, {**FLAT, "sector": "la reina"}]

    # WHEN the batch is predicted
    values, problems = small_model.predict_frame(pd.DataFrame(rows))

    # THEN only that row is NaN, with a reason; the others get their normal values
    assert np.isnan(values[1])
    assert problems[1] is not None
    assert "sector" in problems[1]
    assert "Santiago Centro" in problems[1]
    assert problems[0] is None
    assert problems[2] is None
    assert values[0] == small_model.predict_record(rows[0])
    assert values[2] == small_model.predict_record(rows[2])


@pytest.mark.parametrize(
    "areas",
    [
        {"net_usable_area": 0.0, "net_area": 0.0},
        {"net_usable_area": 0.0, "net_area": 120.0},
        {"net_usable_area": 95.0, "net_area": 0.0},
        {"net_usable_area": 300.0, "net_area": 100.0},
        {"net_usable_area": 1_430_000.0, "net_area": 1_430_000.0},
        {"net_usable_area": 80.0, "net_area": 1e12},
        {"net_usable_area": 0.5, "net_area": 0.5},
    ],
)
def test_odd_areas_give_finite_positive_prices(
    small_model: PriceModel, areas: dict[str, float]
) -> None:
    record = {**FLAT, **areas}

    single = small_model.predict_record(record)
    values, problems = small_model.predict_frame(pd.DataFrame([record]))

    assert np.isfinite(single)
    assert single > 0
    assert problems == [None]
    assert values[0] == single


def test_huge_areas_are_clipped_to_the_training_caps(small_model: PriceModel) -> None:
    caps = small_model.features.area_caps_
    at_cap = {**FLAT, "net_usable_area": caps["net_usable_area"], "net_area": caps["net_area"]}

    typo = {**FLAT, "net_usable_area": 1_430_000.0, "net_area": 1_430_000.0 * 3}

    assert small_model.predict_record(typo) == small_model.predict_record(at_cap)


@pytest.mark.parametrize(
    ("given", "same_as"),
    [
        (
            {"net_usable_area": 0.0, "net_area": 120.0},
            {"net_usable_area": 120.0, "net_area": 120.0},
        ),
        ({"net_usable_area": 95.0, "net_area": 0.0}, {"net_usable_area": 95.0, "net_area": 95.0}),
    ],
)
def test_a_zero_area_borrows_the_other_one(
    small_model: PriceModel, given: dict[str, float], same_as: dict[str, float]
) -> None:
    encoded = small_model.features.transform(pd.DataFrame([{**FLAT, **given}]))

    expected = small_model.features.transform(pd.DataFrame([{**FLAT, **same_as}]))

    np.testing.assert_array_equal(encoded, expected)
    assert small_model.predict_record({**FLAT, **given}) == small_model.predict_record(
        {**FLAT, **same_as}
    )


def test_location_columns_are_kilometres_and_angles_from_the_centre(
    small_model: PriceModel,
) -> None:
    # GIVEN a flat at the centre, one 1 km east of it and one 1 km north
    lat, lon = CENTRE
    rows = [
        {**FLAT, "latitude": lat, "longitude": lon},
        {**FLAT, "latitude": lat, "longitude": lon + 1 / KM_PER_DEG_LON},
        {**FLAT, "latitude": lat + 1 / KM_PER_DEG_LAT, "longitude": lon},
    ]

    matrix = small_model.features.transform(pd.DataFrame(rows))

    column = {name: matrix[:, i] for i, name in enumerate(FEATURE_NAMES)}
    np.testing.assert_allclose(column["centre_km"], [0, 1, 1], atol=1e-4)
    np.testing.assert_allclose(column["centre_bearing"][1:], [0, np.pi / 2], atol=1e-4)
    # A rotated axis at angle a reads cos(a) km for the east row and sin(a) for the north
    for angle in ROTATIONS_DEG:
        radians = np.deg2rad(angle)
        np.testing.assert_allclose(
            column[f"rotated_{angle}"], [0, np.cos(radians), np.sin(radians)], atol=1e-4
        )
