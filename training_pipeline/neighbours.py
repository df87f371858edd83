"""Prices of the nearest listed twins: same type, same place, about the same size.

A quarter of the listings share their exact coordinates with another (one building,
several flats), and a boosted model of smooth trees blurs what a neighbour in the same
building sold for. For each row this gives the distance-weighted mean log price of its
1, 2, .. k nearest training listings in a space of kilometres and log areas, and how far
each of them is; the stacker (`estimator.LogPriceEstimator`) learns how much to trust
them against the boosted price.

Only training rows are in the index, so a price never reaches its own estimate unless
the very same row is asked about again; training asks only about held-out rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from training_pipeline.features import FEATURE_NAMES, TYPE_COLUMN, north_east_km

# Areas below this (m2) are treated as this before taking logs: a 0 m2 typo is not
# infinitely far from a 10 m2 studio.
MIN_AREA_M2 = 10.0
_COLUMNS = [
    FEATURE_NAMES.index(name) for name in ("latitude", "longitude", "net_usable_area", "net_area")
]


@dataclass(frozen=True)
class NeighbourSpace:
    """How far apart two listings are: km on the map, and log areas scaled to km."""

    k: int
    # One unit of log area (a size ratio of e) counts as this many kilometres.
    area_km: float
    # Added to distances before inverting them into weights: two twins at distance 0
    # get finite, equal weights.
    softening_km: float

    def embed(self, matrix: np.ndarray) -> np.ndarray:
        latitude, longitude, usable, total = (matrix[:, col].astype(np.float64) for col in _COLUMNS)
        return np.column_stack(
            [
                *north_east_km(latitude, longitude),
                self.area_km * np.log(np.maximum(usable, MIN_AREA_M2)),
                self.area_km * np.log(np.maximum(total, MIN_AREA_M2)),
            ]
        )


class NeighbourPrices:
    """One k-d tree of training listings per property type, with their log prices."""

    def __init__(self, space: NeighbourSpace, matrix: np.ndarray, log_price: np.ndarray) -> None:
        self.space = space
        points = space.embed(matrix)
        types = matrix[:, TYPE_COLUMN]
        self._trees: dict[float, tuple[cKDTree, np.ndarray]] = {}
        for code in np.unique(types):
            mine = types == code
            self._trees[float(code)] = (cKDTree(points[mine]), log_price[mine])

    def predict(self, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Two (rows, k) arrays: in column j, the weighted mean log price of each row's
        j + 1 nearest training listings of its type, and the distance to the (j + 1)-th.

        One row or many, the arithmetic per row is the same (the single-row path calls
        this with a one-row matrix). A type with fewer than k training rows repeats its
        last column; a type with none gives NaN.
        """
        points = self.space.embed(matrix)
        types = matrix[:, TYPE_COLUMN]
        k = self.space.k
        means, distances = np.full((len(matrix), k), np.nan), np.full((len(matrix), k), np.nan)
        for code, (tree, prices) in self._trees.items():
            mine = types == code
            if not mine.any():
                continue
            found = min(k, len(prices))
            distance, index = tree.query(points[mine], k=[*range(1, found + 1)])
            weight = 1.0 / (distance + self.space.softening_km)
            # Running sums: the mean of the j + 1 nearest for every j from one query.
            mean = np.cumsum(prices[index] * weight, axis=1) / np.cumsum(weight, axis=1)
            pad = [found - 1] * (k - found)
            means[mine] = mean[:, [*range(found), *pad]]
            distances[mine] = distance[:, [*range(found), *pad]]
        return means, distances
