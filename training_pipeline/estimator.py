"""The log-price estimate: a boosted model blended with the nearest twins' prices.

One `blend` does the arithmetic for the batch path, the single-row path and the
calibration's out-of-fold predictions, so the three agree by construction.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from training_pipeline.neighbours import NeighbourPrices


class LogPriceEstimator:
    """A fitted CatBoost regressor and neighbour index, and how to weigh them."""

    def __init__(
        self,
        booster: Any,
        neighbours: NeighbourPrices,
        neighbour_weight: float,
        neighbour_reach_km: float,
    ) -> None:
        self.booster = booster
        self.neighbours = neighbours
        self.neighbour_weight = neighbour_weight
        self.neighbour_reach_km = neighbour_reach_km

    def blend(
        self, boosted: np.ndarray, neighbour: np.ndarray, nearest_km: np.ndarray
    ) -> np.ndarray:
        """Weighted mean of the two log prices; the same float64 operations for any n.

        A twin at distance 0 gets the full neighbour_weight, one a reach away about a
        third of it: a far "nearest" listing says little about this one.
        """
        weight = self.neighbour_weight * np.exp(-nearest_km / self.neighbour_reach_km)
        return (1.0 - weight) * boosted + weight * neighbour

    def predict(self, matrix: np.ndarray) -> np.ndarray:
        """Log prices of many encoded rows, through CatBoost's own predictor."""
        boosted = np.asarray(self.booster.predict(matrix, thread_count=1), dtype=np.float64)
        return self.blend(boosted, *self.neighbours.predict(matrix))
