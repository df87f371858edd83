"""A deterministic synthetic sample with the real schema, for demos and tests.

Prices come from a hedonic formula (price per m2 by sector and type, discounted for
size, a premium for bathrooms) with log-normal noise, so a model has a real signal
to learn and a worse model is measurably worse.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from training_pipeline.schema import FEATURES, TARGET

# sector -> (centre latitude, centre longitude, UF per m2 for a flat)
_SECTORS: dict[str, tuple[float, float, float]] = {
    "vitacura": (-33.390, -70.570, 95.0),
    "las condes": (-33.410, -70.550, 85.0),
    "lo barnechea": (-33.350, -70.520, 80.0),
    "providencia": (-33.430, -70.610, 75.0),
    "nunoa": (-33.455, -70.600, 60.0),
    "la reina": (-33.445, -70.545, 55.0),
}
_SECTOR_WEIGHTS = np.array([0.18, 0.30, 0.14, 0.16, 0.12, 0.10])


def make_sample(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    names = list(_SECTORS)
    sector = rng.choice(len(names), size=rows, p=_SECTOR_WEIGHTS)
    is_house = rng.random(rows) < 0.4
    usable = np.where(
        is_house, rng.lognormal(np.log(180), 0.45, rows), rng.lognormal(np.log(85), 0.4, rows)
    ).round()
    total = np.where(
        is_house, usable * rng.uniform(1.5, 4.0, rows), usable * rng.uniform(1.0, 1.3, rows)
    ).round()
    rooms = np.clip(np.round(usable / 40 + rng.normal(0, 0.7, rows)), 1, 8)
    baths = np.clip(np.round(rooms * 0.8 + rng.normal(0, 0.6, rows)), 1, 7)
    centre = np.array([_SECTORS[n][:2] for n in names])[sector]
    lat = (centre[:, 0] + rng.normal(0, 0.012, rows)).round(5)
    lon = (centre[:, 1] + rng.normal(0, 0.012, rows)).round(5)
    per_m2 = np.array([_SECTORS[n][2] for n in names])[sector] * np.where(is_house, 0.75, 1.0)
    land = np.where(is_house, (total - usable) * 6.0, 0.0)
    price = (usable * per_m2 * (usable / 100) ** -0.12 + land + baths * 300) * rng.lognormal(
        0, 0.12, rows
    )
    frame = pd.DataFrame(
        {
            "type": np.where(is_house, "casa", "departamento"),
            "sector": np.array(names)[sector],
            "net_usable_area": usable,
            "net_area": total,
            "n_rooms": rooms,
            "n_bathroom": baths,
            "latitude": lat,
            "longitude": lon,
            TARGET: np.round(price).astype(int),
        }
    )
    return frame[[*FEATURES, TARGET]]


def write_sample(out_dir: Path, rows: int = 4000, seed: int = 7) -> tuple[Path, Path]:
    """Write train.csv (80%) and test.csv (20%) under out_dir; same seed, same bytes."""
    frame = make_sample(rows, seed)
    split = int(rows * 0.8)
    out_dir.mkdir(parents=True, exist_ok=True)
    train, test = out_dir / "train.csv", out_dir / "test.csv"
    frame.iloc[:split].to_csv(train, index=False)
    frame.iloc[split:].to_csv(test, index=False)
    return train, test
