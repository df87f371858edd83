"""Input drift: logged inputs and prices against a model's reference profile.

Per feature, the population stability index over the profile's bins,
PSI = sum((a - e) * ln(a / e)) over bins with expected share e and actual share a, read
with the usual bands (< 0.1 stable, 0.1-0.25 watch, > 0.25 drifted); for categories the
share of values the training data never had, for numbers the share outside the training
range. Every figure says how many rows it rests on, and below `min_rows` a feature
reads "not enough data" instead of a band: a handful of rows moves a PSI by chance.

The log holds no true prices, so drift is a reason to look, never a retraining trigger.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

from contract.drift import (
    DRIFTED,
    DRIFTED_ABOVE,
    DRIFTED_FEATURES_FIELD,
    NO_REFERENCE,
    NOT_ENOUGH_DATA,
    STABLE,
    STABLE_BELOW,
    WATCH,
)
from training_pipeline.profile import PREDICTION, CategoricalProfile, NumericProfile, Profile
from training_pipeline.schema import CATEGORICAL_FEATURES, NUMERIC_FEATURES, normalize_category

# An empty bin would make ln(a / e) infinite; this share stands in for zero (the usual
# choice: it caps one empty bin's part near 0.0009 per 1% of the other side's share).
SHARE_FLOOR: Final = 1e-4
# With 10 bins, the PSI of a sample drawn from the reference itself averages about
# (bins - 1) / rows. Measured on the sample (benchmarks/analytics.py, 30 draws), the
# largest of a report's nine PSIs reached 0.375 at 100 rows, 0.080 at 300: from 300 rows
# on, noise alone stays below the watch band.
MIN_ROWS: Final = 300
# Unseen values listed by name in a report (the rest are counted).
SHOWN_UNSEEN: Final = 5
UNSEEN = "(unseen)"
PREDICTION_KIND = "prediction"


def psi(expected: Sequence[float] | np.ndarray, actual: Sequence[float] | np.ndarray) -> float:
    e = np.maximum(np.asarray(expected, dtype=np.float64), SHARE_FLOOR)
    a = np.maximum(np.asarray(actual, dtype=np.float64), SHARE_FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


def band(value: float) -> str:
    if value < STABLE_BELOW:
        return STABLE
    return DRIFTED if value > DRIFTED_ABOVE else WATCH


@dataclass(frozen=True)
class FeatureDrift:
    feature: str
    kind: str  # "numeric", "categorical", or "prediction" (the predicted log price)
    rows: int
    status: str  # a band, or NOT_ENOUGH_DATA
    psi: float | None
    # Categorical: the share of values training never had; numeric: outside its range.
    unseen_share: float | None = None
    outside_share: float | None = None
    how: str = ""  # what moved, for people
    unseen: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DriftReport:
    status: str  # stable / watch / drifted / not enough data / no reference
    rows: int
    min_rows: int
    model_version: str | None
    features: list[FeatureDrift]
    window: dict[str, str] = field(default_factory=dict)

    @property
    def drifted_features(self) -> list[str]:
        """The inputs past the drift band (a moved prediction follows from its inputs)."""
        return [
            f.feature for f in self.features if f.status == DRIFTED and f.kind != PREDICTION_KIND
        ]

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), DRIFTED_FEATURES_FIELD: self.drifted_features}


def _percent(share: float) -> str:
    return "<0.1%" if 0 < share < 0.0005 else f"{100 * share:.1f}%"


def numeric_drift(
    name: str,
    reference: NumericProfile,
    values: np.ndarray,
    min_rows: int,
    kind: str = "numeric",
) -> FeatureDrift:
    values = values[np.isfinite(values)]
    rows = len(values)
    if rows < min_rows:
        return FeatureDrift(name, kind, rows, NOT_ENOUGH_DATA, None)
    value = psi(reference.shares, reference.bin_shares(values))
    below = float(np.mean(values < reference.minimum))
    above = float(np.mean(values > reference.maximum))
    median = float(np.median(values))
    how = f"median {reference.median:.4g} -> {median:.4g}"
    if below + above > 0:
        how += f"; {_percent(below)} below and {_percent(above)} above the training range"
    return FeatureDrift(name, kind, rows, band(value), value, outside_share=below + above, how=how)


def categorical_drift(
    name: str, reference: CategoricalProfile, values: Sequence[Any], min_rows: int
) -> FeatureDrift:
    rows = len(values)
    if rows < min_rows:
        return FeatureDrift(name, "categorical", rows, NOT_ENOUGH_DATA, None)
    counts = pd.Series([normalize_category(str(v)) for v in values]).value_counts()
    actual = counts / rows
    unseen = actual[~actual.index.isin(list(reference.shares))]
    known = list(reference.shares)
    expected_shares = [reference.shares[k] for k in known] + [0.0]
    actual_shares = [float(actual.get(k, 0.0)) for k in known] + [float(unseen.sum())]
    value = psi(expected_shares, actual_shares)
    # The value whose share moved most, in words.
    moves = {k: actual_shares[i] - expected_shares[i] for i, k in enumerate([*known, UNSEEN])}
    biggest = max(moves, key=lambda k: abs(moves[k]))
    i = [*known, UNSEEN].index(biggest)
    how = f"{biggest} {_percent(expected_shares[i])} -> {_percent(actual_shares[i])}"
    return FeatureDrift(
        name,
        "categorical",
        rows,
        band(value),
        value,
        unseen_share=float(unseen.sum()),
        how=how,
        unseen=[str(v) for v in unseen.sort_values(ascending=False).index[:SHOWN_UNSEEN]],
    )


def compare(
    profile: Profile | None,
    inputs: Sequence[Mapping[str, Any]],
    values: Sequence[float],
    *,
    min_rows: int = MIN_ROWS,
    model_version: str | None = None,
    window: Mapping[str, str] | None = None,
) -> DriftReport:
    """Drift of logged `inputs` (the model's raw features) and their predicted `values`
    (UF) from `profile`; a report saying "no reference" when there is no profile."""
    window = dict(window or {})
    if profile is None:
        return DriftReport(NO_REFERENCE, len(inputs), min_rows, model_version, [], window)
    frame = pd.DataFrame(list(inputs), columns=[*CATEGORICAL_FEATURES, *NUMERIC_FEATURES])
    features: list[FeatureDrift] = [
        categorical_drift(name, profile.categorical[name], frame[name].dropna().tolist(), min_rows)
        for name in CATEGORICAL_FEATURES
    ]
    for name in NUMERIC_FEATURES:
        column = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float64)
        features.append(numeric_drift(name, profile.numeric[name], column, min_rows))
    prices = np.asarray(values, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(prices > 0, np.log(np.where(prices > 0, prices, 1.0)), math.nan)
    features.append(
        numeric_drift(PREDICTION, profile.numeric[PREDICTION], logs, min_rows, PREDICTION_KIND)
    )
    return DriftReport(
        _overall(features, len(inputs), min_rows),
        len(inputs),
        min_rows,
        model_version,
        features,
        window,
    )


def _overall(features: Sequence[FeatureDrift], rows: int, min_rows: int) -> str:
    if rows < min_rows:
        return NOT_ENOUGH_DATA
    statuses = {f.status for f in features}
    for status in (DRIFTED, WATCH):
        if status in statuses:
            return status
    return STABLE if STABLE in statuses else NOT_ENOUGH_DATA


def format_report(report: DriftReport) -> str:
    """The report as a table for a terminal."""
    head = f"drift: {report.status} ({report.rows} rows"
    if report.model_version:
        head += f", against {report.model_version}'s training data"
    lines = [head + ")"]
    if report.status == NO_REFERENCE:
        lines.append("  the deployed version has no profile (trained before profiles): retrain")
        return "\n".join(lines)
    lines.append(f"  {'feature':<22}{'rows':>7}{'psi':>8}  {'status':<16}how")
    for f in report.features:
        shown = "-" if f.psi is None else f"{f.psi:.3f}"
        how = f.how + (f"; unseen: {', '.join(f.unseen)}" if f.unseen else "")
        lines.append(f"  {f.feature:<22}{f.rows:>7}{shown:>8}  {f.status:<16}{how}")
    return "\n".join(lines)
