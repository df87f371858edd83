"""Feature preparation: raw property columns -> the float32 matrix the trees read.

One encoding function serves the batch path (DataFrame columns) and the single-row
path (one value per column), so both give the same numbers by construction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from training_pipeline.data import require_columns
from training_pipeline.errors import UnknownCategoryError
from training_pipeline.schema import CATEGORICAL_FEATURES, FEATURES, normalize_category

# Axis-aligned splits on latitude/longitude cut the map into rectangles, while price
# zones here run diagonally (along the Andes foothills and the Providencia-Las Condes
# axis): coordinates projected on a few rotated axes let a tree cut along them.
ROTATIONS_DEG = (15, 30, 45, 60, 75)
# The Providencia-Las Condes business centre (El Golf): prices fall away from it.
CENTRE = (-33.4172, -70.6064)
# Kilometres per degree at Santiago's latitude, so distances and angles are metric.
KM_PER_DEG_LAT, KM_PER_DEG_LON = 110.95, 92.9

# The columns of the matrix the trees read: the raw features, then derived ones.
FEATURE_NAMES = (
    *FEATURES,
    "usable_share",
    *(f"rotated_{angle}" for angle in ROTATIONS_DEG),
    "centre_km",
    "centre_bearing",
)
# Areas past this quantile of the training data are clipped to it: a typo of
# 1,430,000 m2 should look like "a very large property", not carve a leaf of its own.
AREA_CLIP_QUANTILE = 0.999
# The property type's code in the matrix: the price range is calibrated per type.
TYPE_COLUMN = FEATURE_NAMES.index("type")
UNKNOWN_CODE = -1.0


def _encode(
    codes: Sequence[np.ndarray],
    columns: Mapping[str, Any],
    area_caps: Mapping[str, float],
) -> np.ndarray:
    """Encode category codes and raw numeric columns into a float32 feature matrix."""
    usable = np.asarray(columns["net_usable_area"], dtype=np.float64)
    total = np.asarray(columns["net_area"], dtype=np.float64)
    # A zero or negative area is a missing value in this data: borrow the other one.
    usable = np.where(usable > 0, usable, total)
    total = np.where(total > 0, total, usable)
    usable = np.clip(usable, 0.0, area_caps["net_usable_area"])
    total = np.clip(total, 0.0, area_caps["net_area"])
    # Usable area above total area is common for flats (terraces counted apart);
    # the share keeps that signal instead of "fixing" it away.
    share = np.clip(usable / np.where(total > 0, total, 1.0), 0.0, 2.0)
    latitude = np.asarray(columns["latitude"], dtype=np.float64)
    longitude = np.asarray(columns["longitude"], dtype=np.float64)
    matrix = np.column_stack(
        [
            *codes,
            usable,
            total,
            np.asarray(columns["n_rooms"], dtype=np.float64),
            np.asarray(columns["n_bathroom"], dtype=np.float64),
            latitude,
            longitude,
            share,
            *_location(latitude, longitude),
        ]
    )
    return np.ascontiguousarray(matrix, dtype=np.float32)


def north_east_km(latitude: np.ndarray, longitude: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kilometres north and east of the centre (flat: the area spans ~20 km)."""
    return (latitude - CENTRE[0]) * KM_PER_DEG_LAT, (longitude - CENTRE[1]) * KM_PER_DEG_LON


def _location(latitude: np.ndarray, longitude: np.ndarray) -> list[np.ndarray]:
    """Rotated coordinates, distance and bearing from the centre (km, radians)."""
    north, east = north_east_km(latitude, longitude)
    rotated = [
        east * np.cos(np.deg2rad(angle)) + north * np.sin(np.deg2rad(angle))
        for angle in ROTATIONS_DEG
    ]
    return [*rotated, np.hypot(east, north), np.arctan2(north, east)]


class PropertyFeatures(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Learns the category vocabulary and area caps; encodes rows for the trees."""

    def fit(self, X: pd.DataFrame, y: object = None) -> PropertyFeatures:
        self.vocabulary_: dict[str, dict[str, int]] = {
            col: {
                value: code
                for code, value in enumerate(
                    sorted({normalize_category(str(v)) for v in X[col].dropna().unique()})
                )
            }
            for col in CATEGORICAL_FEATURES
        }
        self.area_caps_: dict[str, float] = {
            col: float(np.quantile(X[col].to_numpy(dtype=np.float64), AREA_CLIP_QUANTILE))
            for col in ("net_usable_area", "net_area")
        }
        return self

    def category_codes(self, X: pd.DataFrame) -> list[np.ndarray]:
        """Vocabulary codes per categorical column; UNKNOWN_CODE where unseen."""
        codes = []
        for col in CATEGORICAL_FEATURES:
            # Normalize each distinct value once, not once per row.
            row_to_unique, uniques = pd.factorize(X[col].astype(str))
            lookup = np.array(
                [self._code(col, value) for value in uniques] + [UNKNOWN_CODE],
                dtype=np.float64,
            )
            codes.append(lookup[row_to_unique])
        return codes

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        return _encode(self.category_codes(X), X, self.area_caps_)

    def transform_record(self, record: Mapping[str, Any]) -> np.ndarray:
        """The single-row path: one mapping of raw values -> a (1, n) matrix.

        Raises UnknownCategoryError, since one caller asking about one property
        deserves to hear which value the model cannot score.
        """
        require_columns(record.keys(), FEATURES)
        codes = []
        for col in CATEGORICAL_FEATURES:
            code = self._code(col, str(record[col]))
            if code == UNKNOWN_CODE:
                raise UnknownCategoryError(col, str(record[col]), self.known_categories(col))
            codes.append(np.array([code]))
        return _encode(codes, {col: (record[col],) for col in FEATURES}, self.area_caps_)

    def _code(self, column: str, value: str) -> float:
        return float(self.vocabulary_[column].get(normalize_category(value), UNKNOWN_CODE))

    def known_categories(self, column: str) -> list[str]:
        return sorted(self.vocabulary_[column])
