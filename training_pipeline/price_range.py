"""The 80% price range: split-conformal bounds from out-of-fold errors, per group.

A range is only as honest as the errors it was fitted on: these are the log errors of
models that never saw the rows they priced (out of fold). Houses miss by more than
flats, so one width for all covers houses too rarely and flats too often; each group
(the property type) gets its own lower and upper factor.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PriceRange:
    """Multiplicative bounds per group code: low = value * lower, high = value * upper."""

    level: float
    lower: Mapping[int, float]
    upper: Mapping[int, float]

    @classmethod
    def fit(cls, groups: np.ndarray, log_errors: np.ndarray, level: float) -> PriceRange:
        """Fit from out-of-fold log errors, log(true) - log(predicted), and group codes."""
        codes = np.asarray(groups, dtype=np.int64)
        errors = np.asarray(log_errors, dtype=np.float64)
        tail = (1.0 - level) / 2.0
        lower, upper = {}, {}
        for code in np.unique(codes):
            mine = np.sort(errors[codes == code])
            low, high = _conformal_order_stats(mine, tail)
            # A range always holds its own estimate, even for a group the model
            # systematically over- or under-prices.
            lower[int(code)] = math.exp(min(low, 0.0))
            upper[int(code)] = math.exp(max(high, 0.0))
        return cls(level, lower, upper)

    def bounds(self, values: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Lows and highs for many values; NaN values give NaN bounds."""
        lows, highs = np.full(len(values), np.nan), np.full(len(values), np.nan)
        codes = np.asarray(groups)
        for code in self.lower:
            mine = codes == code
            lows[mine] = values[mine] * self.lower[code]
            highs[mine] = values[mine] * self.upper[code]
        return lows, highs

    def bounds_one(self, value: float, group: int) -> tuple[float, float]:
        """The same arithmetic as `bounds`, for one value (a Python float product)."""
        return value * self.lower[group], value * self.upper[group]


def _conformal_order_stats(sorted_errors: np.ndarray, tail: float) -> tuple[float, float]:
    """Lower and upper split-conformal bounds: the finite-sample ranks, not plain quantiles.

    With n calibration errors, the k-th smallest with k = ceil((n + 1)(1 - tail)) bounds
    a new error from above with probability >= 1 - tail (and mirrored below).
    """
    n = len(sorted_errors)
    k_high = min(math.ceil((n + 1) * (1.0 - tail)), n)
    k_low = max(math.floor((n + 1) * tail), 1)
    return float(sorted_errors[k_low - 1]), float(sorted_errors[k_high - 1])
