"""A model's reference profile: what its training data looked like, for the drift job.

Written at training time as `profile.json` beside the model file (in the registry's
version directory; on SageMaker in /opt/ml/model, so inside model.tar.gz next to
model.joblib and params.json): the artifact's own format does not change, so every
registered version still loads, and one without a profile reads as "no reference".

For each numeric feature: quantile bin edges and the share of rows in each bin, the
training range and median; for each category: the share of each (normalized) value;
the same as a numeric for the predicted log price. Neither the API nor the drift job
needs the training data afterwards.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from training_pipeline.schema import CATEGORICAL_FEATURES, NUMERIC_FEATURES, normalize_category

PROFILE_FILENAME = "profile.json"
PROFILE_FORMAT = 1
# Deciles: ten bins of a tenth each on the training data. Fewer bins hide a shift
# inside one bin; more make each bin's share noisy on a week of traffic.
QUANTILES = tuple(q / 10 for q in range(1, 10))
# The predicted price is profiled as its log, the scale the model works on.
PREDICTION = "predicted_log_price"


class ProfileError(ValueError):
    """A profile file that is not one this code wrote."""


@dataclass(frozen=True)
class NumericProfile:
    """Bins (-inf, e0], (e0, e1], ... (e_last, inf) and the training share of each."""

    edges: list[float]
    shares: list[float]
    minimum: float
    maximum: float
    median: float

    def bin_shares(self, values: np.ndarray) -> np.ndarray:
        return bin_shares(np.asarray(self.edges), values)


@dataclass(frozen=True)
class CategoricalProfile:
    shares: dict[str, float]


@dataclass(frozen=True)
class Profile:
    rows: int
    numeric: dict[str, NumericProfile]
    categorical: dict[str, CategoricalProfile]

    def as_dict(self) -> dict[str, Any]:
        return {"format": PROFILE_FORMAT, **asdict(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Profile:
        if data.get("format") != PROFILE_FORMAT:
            raise ProfileError(f"not a format-{PROFILE_FORMAT} profile")
        try:
            return cls(
                rows=int(data["rows"]),
                numeric={name: NumericProfile(**p) for name, p in data["numeric"].items()},
                categorical={
                    name: CategoricalProfile(dict(p["shares"]))
                    for name, p in data["categorical"].items()
                },
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ProfileError(f"malformed profile: {exc!r}") from None


def bin_shares(edges: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The share of `values` in each bin; a value on an edge belongs to the lower bin."""
    index = np.searchsorted(edges, values, side="left")
    counts = np.bincount(index, minlength=len(edges) + 1).astype(np.float64)
    return counts / max(len(values), 1)


def numeric_profile(values: np.ndarray) -> NumericProfile:
    values = values[np.isfinite(values)]
    # Edges are values the data has (inverted CDF, no interpolation between two of them),
    # and repeated ones (a feature of few values, like rooms) make one edge: no bin is
    # empty by construction.
    edges = np.unique(np.quantile(values, QUANTILES, method="inverted_cdf"))
    return NumericProfile(
        edges=[float(e) for e in edges],
        shares=[float(s) for s in bin_shares(edges, values)],
        minimum=float(values.min()),
        maximum=float(values.max()),
        median=float(np.median(values)),
    )


def categorical_shares(values: Sequence[Any] | pd.Series) -> dict[str, float]:
    normalized = pd.Series([normalize_category(str(v)) for v in values], dtype=object)
    shares = normalized.value_counts(normalize=True)
    return {str(name): float(share) for name, share in sorted(shares.items())}


def build_profile(frame: pd.DataFrame, predicted: np.ndarray) -> Profile:
    """The profile of a training frame and the model's predicted prices on it (UF)."""
    numeric = {
        name: numeric_profile(frame[name].to_numpy(dtype=np.float64)) for name in NUMERIC_FEATURES
    }
    with np.errstate(divide="ignore", invalid="ignore"):
        numeric[PREDICTION] = numeric_profile(np.log(np.asarray(predicted, dtype=np.float64)))
    categorical = {
        name: CategoricalProfile(categorical_shares(frame[name])) for name in CATEGORICAL_FEATURES
    }
    return Profile(rows=len(frame), numeric=numeric, categorical=categorical)


def write_profile(model_dir: Path, profile: Profile) -> Path:
    path = model_dir / PROFILE_FILENAME
    path.write_text(json.dumps(profile.as_dict(), indent=1))
    return path


def read_profile(model_dir: Path) -> Profile | None:
    """The profile beside a model, or None for a version trained before profiles."""
    path = model_dir / PROFILE_FILENAME
    if not path.is_file():
        return None
    return parse_profile(path.read_bytes())


def parse_profile(data: bytes) -> Profile:
    try:
        return Profile.from_dict(json.loads(data))
    except ValueError as exc:
        raise ProfileError(f"{PROFILE_FILENAME} is not a profile: {exc}") from None


def profile_in_archive(archive: IO[bytes] | bytes) -> Profile | None:
    """The profile inside a model.tar.gz (as SageMaker packs /opt/ml/model), or None.

    Reads only that member: the model itself is never unpickled here.
    """
    fileobj = io.BytesIO(archive) if isinstance(archive, bytes) else archive
    with tarfile.open(fileobj=fileobj, mode="r:*") as tar:
        for member in tar:
            if member.isfile() and Path(member.name).name == PROFILE_FILENAME:
                extracted = tar.extractfile(member)
                return None if extracted is None else parse_profile(extracted.read())
    return None
