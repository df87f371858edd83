"""Load a CSV and validate it against the schema before anything trains on it."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from training_pipeline.errors import DataValidationError
from training_pipeline.locations import UnsupportedLocationError, as_local_path
from training_pipeline.schema import (
    CATEGORICAL_FEATURES,
    FEATURES,
    KNOWN_TYPES,
    TARGET,
    normalize_category,
)

SHOWN_BAD_ROWS = 5
# What pandas raises for a file that is not a readable CSV.
CSV_ERRORS = (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError)
# Generous bounds around Chile; a coordinate outside them is a swapped or garbled value.
LATITUDE_RANGE = (-56.0, -17.0)
LONGITUDE_RANGE = (-76.0, -66.0)


def fingerprint(path: Path) -> str:
    """sha256 of the file's bytes: which data a model was trained on, exactly."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _line_numbers(mask: pd.Series) -> list[int]:
    # Row 0 of the frame is line 2 of the file (line 1 is the header).
    return [int(i) + 2 for i in np.flatnonzero(mask.to_numpy())[:SHOWN_BAD_ROWS]]


def require_columns(present: Collection[str], required: Sequence[str]) -> None:
    """Raise DataValidationError naming every required column (or field) not present."""
    missing = [col for col in required if col not in present]
    if missing:
        raise DataValidationError(missing[0], f"required column(s) missing: {', '.join(missing)}")


def load_dataset(
    location: str | Path, *, min_rows: int = 1, with_target: bool = True
) -> pd.DataFrame:
    """Read and validate a CSV; raise DataValidationError naming column and lines."""
    try:
        path = as_local_path(location)
    except UnsupportedLocationError as exc:
        raise DataValidationError(None, str(exc)) from None
    if not path.is_file():
        raise DataValidationError(None, f"file not found: {path}")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except CSV_ERRORS as exc:
        raise DataValidationError(None, f"{path} is not a readable CSV: {exc}") from exc
    required = [*FEATURES, TARGET] if with_target else list(FEATURES)
    require_columns(raw.columns, required)
    if len(raw) < min_rows:
        raise DataValidationError(None, f"{len(raw)} rows; at least {min_rows} are needed")
    return _validated(raw[required])


def _validated(raw: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame(index=raw.index)
    for col in CATEGORICAL_FEATURES:
        values = raw[col].map(normalize_category)
        _require(values != "", col, "empty value", raw)
        frame[col] = values
    _require(
        frame["type"].isin(KNOWN_TYPES), "type", f"must be one of {', '.join(KNOWN_TYPES)}", raw
    )
    numeric_cols = [c for c in raw.columns if c not in CATEGORICAL_FEATURES]
    for col in numeric_cols:
        values = pd.to_numeric(raw[col].str.strip(), errors="coerce")
        _require(values.notna() & np.isfinite(values), col, "not a finite number", raw)
        frame[col] = values.astype(np.float64)
    for col in (
        "net_usable_area",
        "net_area",
        "n_rooms",
        "n_bathroom",
        *([TARGET] if TARGET in frame else []),
    ):
        _require(frame[col] >= 0, col, "negative value", raw)
    _require(frame["latitude"].between(*LATITUDE_RANGE), "latitude", "outside Chile", raw)
    _require(frame["longitude"].between(*LONGITUDE_RANGE), "longitude", "outside Chile", raw)
    return frame


def _require(ok: pd.Series, column: str, problem: str, raw: pd.DataFrame) -> None:
    if not bool(ok.all()):
        bad = ~ok
        example = raw.loc[bad, column].iloc[0]
        raise DataValidationError(
            column, f"{problem} in {int(bad.sum())} row(s), e.g. {example!r}", _line_numbers(bad)
        )
