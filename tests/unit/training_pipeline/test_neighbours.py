"""The nearest-twins part: same type only, twins dominate, far rows still get a price."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from training_pipeline.features import PropertyFeatures
from training_pipeline.model import PriceModel
from training_pipeline.neighbours import NeighbourPrices, NeighbourSpace

SPACE = NeighbourSpace(k=2, area_km=3.0, softening_km=0.003)


def _listing(kind: str, lat: float, lon: float, area: float) -> dict[str, Any]:
    return {
        "type": kind,
        "sector": "las condes",
        "net_usable_area": area,
        "net_area": area * 1.1,
        "n_rooms": 3.0,
        "n_bathroom": 2.0,
        "latitude": lat,
        "longitude": lon,
    }


TRAINING = pd.DataFrame(
    [
        _listing("departamento", -33.410, -70.550, 80.0),
        _listing("departamento", -33.420, -70.560, 80.0),
        _listing("departamento", -33.430, -70.570, 150.0),
        _listing("casa", -33.410, -70.550, 80.0),
        _listing("casa", -33.440, -70.540, 300.0),
    ]
)
LOG_PRICES = np.log([5000.0, 6000.0, 9000.0, 20000.0, 30000.0])


@pytest.fixture(scope="module")
def encoded() -> tuple[PropertyFeatures, NeighbourPrices]:
    features = PropertyFeatures().fit(TRAINING)
    return features, NeighbourPrices(SPACE, features.transform(TRAINING), LOG_PRICES)


def _ask(encoded: tuple[PropertyFeatures, NeighbourPrices], *rows: dict[str, Any]) -> np.ndarray:
    """Each row's weighted mean log price of its k nearest listings."""
    features, neighbours = encoded
    return neighbours.predict(features.transform(pd.DataFrame(list(rows))))[0][:, -1]


def test_a_twin_in_training_sets_the_price(encoded: Any) -> None:
    # A flat identical to the first listing: distance 0 outweighs the next one 600 to 1.
    (estimate,) = _ask(encoded, _listing("departamento", -33.410, -70.550, 80.0))

    assert estimate == pytest.approx(np.log(5000.0), abs=0.01)


def test_only_listings_of_the_same_type_count(encoded: Any) -> None:
    # The house shares its place and size with a flat priced 5,000 UF, and with a house.
    (estimate,) = _ask(encoded, _listing("casa", -33.410, -70.550, 80.0))

    assert estimate == pytest.approx(np.log(20000.0), abs=0.01)


def test_size_counts_as_distance(encoded: Any) -> None:
    # Next to the 80 m2 flats, but 150 m2: the 150 m2 flat a few km away weighs most.
    (small,) = _ask(encoded, _listing("departamento", -33.415, -70.555, 80.0))
    (large,) = _ask(encoded, _listing("departamento", -33.415, -70.555, 150.0))

    assert large > small


def test_a_row_far_from_every_listing_gets_a_blend_of_real_prices(encoded: Any) -> None:
    # 1,500 km north, in the Atacama: no neighbour is near, but the estimate is still
    # a weighted mean of prices the model has seen, never an extrapolation.
    (estimate,) = _ask(encoded, _listing("departamento", -20.0, -70.0, 80.0))

    assert np.log(5000.0) <= estimate <= np.log(9000.0)


def test_column_j_is_the_mean_of_the_j_plus_1_nearest(encoded: Any) -> None:
    features, neighbours = encoded
    # Exactly the first flat, with the second flat the next nearest
    row = features.transform(pd.DataFrame([_listing("departamento", -33.410, -70.550, 80.0)]))

    means, distances = neighbours.predict(row)

    assert means[0, 0] == np.log(5000.0)
    assert distances[0, 0] == 0.0
    assert distances[0, 1] > 0.0
    assert np.log(5000.0) < means[0, 1] < np.log(6000.0)


def test_a_type_missing_from_training_gives_nan() -> None:
    flats = TRAINING[TRAINING["type"] == "departamento"]
    features = PropertyFeatures().fit(TRAINING)
    neighbours = NeighbourPrices(SPACE, features.transform(flats), LOG_PRICES[:3])

    means, distances = neighbours.predict(features.transform(TRAINING.iloc[[0, 3]]))

    assert np.isfinite(means[0]).all()
    assert distances[0, 0] == 0.0
    assert np.isnan(means[1]).all()


def test_a_type_with_fewer_listings_than_k_repeats_its_last_column() -> None:
    features = PropertyFeatures().fit(TRAINING)
    one_house = TRAINING.iloc[[0, 1, 2, 3]]  # three flats, one house
    neighbours = NeighbourPrices(SPACE, features.transform(one_house), LOG_PRICES[:4])

    means, distances = neighbours.predict(features.transform(TRAINING.iloc[[4]]))

    assert means[0, 0] == means[0, 1] == np.log(20000.0)
    assert distances[0, 0] == distances[0, 1] > 0.0


def test_the_model_prices_a_far_away_row_with_a_range(small_model: PriceModel) -> None:
    far = {**_listing("departamento", -20.0, -70.0, 80.0), "sector": "vitacura"}

    estimate = small_model.estimate_record(far)
    values, lows, highs, problems = small_model.estimate_frame(pd.DataFrame([far]))

    assert problems == [None]
    assert np.isfinite(estimate.value)
    assert 500 < estimate.value < 100_000
    assert estimate.low < estimate.value < estimate.high
    assert (values[0], lows[0], highs[0]) == (estimate.value, estimate.low, estimate.high)
