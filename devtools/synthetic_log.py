"""Synthetic prediction logs for the analytics tests and benchmark: a week drawn from the
sample's own distribution, or one with shifted areas and a sector the training data
never had, priced by a real model."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from chalice_app.ports import PredictionEntry, PriceRange
from training_pipeline.sample_data import make_sample
from training_pipeline.schema import FEATURES

NEW_SECTOR = "colina"
SHIFTED = ("net_usable_area", "net_area", "sector")
AREA_FACTOR = 1.8
NEW_SECTOR_SHARE = 0.2
CLIENTS = ("default", "client-b", "client-c")


def week(
    model: Any, rows: int, seed: int, *, shifted: bool = False
) -> tuple[pd.DataFrame, np.ndarray]:
    """Inputs as a client sends them and the model's prices for them; shifted: areas
    x1.8, and 20% of the rows in a new sector.

    Today's API answers 422 to a sector its model never saw, so such a row is never
    logged; these rows stand for what a model that prices them would log (priced as
    their old sector), which is what the drift job must be able to see.
    """
    frame = make_sample(rows, seed)[list(FEATURES)].copy()
    if shifted:
        frame["net_usable_area"] *= AREA_FACTOR
        frame["net_area"] *= AREA_FACTOR
    values, _ = model.predict_frame(frame)
    if shifted:
        moved = np.random.default_rng(seed).random(rows) < NEW_SECTOR_SHARE
        frame.loc[moved, "sector"] = NEW_SECTOR
    return frame, np.asarray(values, dtype=np.float64)


def entries(
    frame: pd.DataFrame, values: np.ndarray, *, last_day: str, days: int, version: str
) -> Iterator[PredictionEntry]:
    """One entry per row, spread over `days` days ending `last_day`, three clients."""
    end = date.fromisoformat(last_day)
    for i, (record, value) in enumerate(zip(frame.to_dict("records"), values, strict=True)):
        day = end - timedelta(days=i % days)
        second = i % 86_400
        yield PredictionEntry(
            prediction_id=uuid.UUID(int=i + 1).hex,
            created_at=f"{day.isoformat()}T{second // 3600:02d}:{second // 60 % 60:02d}:"
            f"{second % 60:02d}.{i % 1_000_000:06d}+00:00",
            inputs={k: (float(v) if isinstance(v, int | float) else v) for k, v in record.items()},
            value=float(value),
            model_version=version,
            latency_ms=1.0 + (i % 50) / 10,
            range=PriceRange(0.8 * float(value), 1.25 * float(value), 0.8),
            client=CLIENTS[i % len(CLIENTS)],
        )
