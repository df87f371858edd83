"""Cross-validate the old system's model and ours on the same folds, side by side.

    python -m benchmarks.compare_models [--data PATH] [--folds 5] [--params JSON]

The data is read from its path only (it belongs to the case's client and never enters
the repository); the output is aggregate metrics, no rows.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold

from benchmarks.paths import REAL_DATA
from training_pipeline.metrics import regression_metrics
from training_pipeline.model import ModelParams, fit_model
from training_pipeline.schema import FEATURES, TARGET

RANDOM_STATE = 42
# Metric keys in table order, with the labels the table shows.
METRIC_LABELS = (
    ("rmse", "RMSE (UF)"),
    ("mae", "MAE (UF)"),
    ("mape", "MAPE (%)"),
    ("median_ape", "median APE (%)"),
    ("r2", "R2"),
)

# Fits on a training fold and returns a predictor for a test fold.
Predictor = Callable[[pd.DataFrame], np.ndarray]
Fitter = Callable[[pd.DataFrame, pd.Series], Predictor]


def load_data(path: Path) -> tuple[pd.DataFrame, pd.Series]:
    """The feature columns and the price of a CSV in the case's format."""
    if not path.is_file():
        raise SystemExit(f"no data file at {path}; pass --data PATH")
    frame = pd.read_csv(path)
    missing = [col for col in (*FEATURES, TARGET) if col not in frame.columns]
    if missing:
        raise SystemExit(f"{path} lacks columns: {', '.join(missing)}")
    return frame[list(FEATURES)], frame[TARGET]


def old_model_fitter(frame: pd.DataFrame, target: pd.Series) -> Predictor:
    """The old system's model, rebuilt as it was: raw features, raw price."""
    from category_encoders import TargetEncoder
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import GradientBoostingRegressor
    from sklearn.pipeline import Pipeline

    pipeline = Pipeline(
        [
            (
                "preprocess",
                ColumnTransformer(
                    [("te", TargetEncoder(), ["type", "sector"])], remainder="passthrough"
                ),
            ),
            (
                "model",
                GradientBoostingRegressor(
                    learning_rate=0.01, n_estimators=300, max_depth=5, loss="absolute_error"
                ),
            ),
        ]
    )
    pipeline.fit(frame, target)
    return lambda test: np.asarray(pipeline.predict(test), dtype=np.float64)


def our_model_fitter(params: ModelParams) -> Fitter:
    def fit(frame: pd.DataFrame, target: pd.Series) -> Predictor:
        model = fit_model(frame, target, params)
        return lambda test: model.predict_frame(test)[0]

    return fit


@dataclass
class CVResult:
    """Out-of-fold predictions of one model, and what fitting cost."""

    name: str
    predictions: np.ndarray
    fit_seconds: list[float] = field(default_factory=list)


def cross_validate(
    name: str, fitter: Fitter, frame: pd.DataFrame, target: pd.Series, folds: KFold
) -> CVResult:
    result = CVResult(name, np.full(len(frame), np.nan))
    for train_idx, test_idx in folds.split(frame):
        started = time.perf_counter()
        predict = fitter(frame.iloc[train_idx], target.iloc[train_idx])
        result.fit_seconds.append(time.perf_counter() - started)
        result.predictions[test_idx] = predict(frame.iloc[test_idx])
    return result


def parse_params(text: str | None) -> ModelParams:
    """ModelParams with the fields a JSON object names overridden; unknown names fail."""
    if not text:
        return ModelParams()
    overrides: Any = json.loads(text)
    if not isinstance(overrides, dict):
        raise SystemExit("--params must be a JSON object")
    unknown = sorted(set(overrides) - {f.name for f in fields(ModelParams)})
    if unknown:
        raise SystemExit(f"unknown ModelParams fields: {', '.join(unknown)}")
    return replace(ModelParams(), **overrides)


def thread_summary() -> str:
    """What parallelism the numbers were measured with."""
    from threadpoolctl import threadpool_info

    pools = ", ".join(
        f"{pool.get('internal_api')}={pool.get('num_threads')}" for pool in threadpool_info()
    )
    return (
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}; "
        f"cpu_count={os.cpu_count()}; thread pools: {pools or 'none loaded'}"
    )


def _cell(key: str, value: float) -> str:
    if abs(value) >= 1e6:  # MAPE over a 0 UF price: the magnitude is all that matters
        return f"{value:.2e}"
    digits = 3 if key == "r2" else 1 if key in ("mape", "median_ape") else 0
    return f"{value:,.{digits}f}"


def render_table(results: Sequence[CVResult], target: np.ndarray) -> str:
    # Score only rows every model could score, so the columns compare like with like.
    scored = np.all([np.isfinite(r.predictions) for r in results], axis=0)
    metrics = [regression_metrics(target[scored], r.predictions[scored]) for r in results]
    lines = [
        "| metric | " + " | ".join(r.name for r in results) + " |",
        "| --- | " + " | ".join("---:" for _ in results) + " |",
    ]
    for key, label in METRIC_LABELS:
        cells = " | ".join(_cell(key, m[key]) for m in metrics)
        lines.append(f"| {label} | {cells} |")
    # The few sub-1,000 UF prices (one is 0) swamp MAPE; this row shows it without them.
    plausible = target[scored] >= ModelParams().min_train_price
    truth, preds = target[scored][plausible], [r.predictions[scored][plausible] for r in results]
    trimmed = " | ".join(_cell("mape", regression_metrics(truth, pred)["mape"]) for pred in preds)
    lines.append(f"| MAPE (%), true price >= 1,000 UF | {trimmed} |")
    fit_cells = " | ".join(f"{np.mean(r.fit_seconds):.2f}" for r in results)
    lines.append(f"| mean fit time per fold (s) | {fit_cells} |")
    old_mae, our_mae = metrics[0]["mae"], metrics[-1]["mae"]
    lines.append("")
    lines.append(f"MAE reduction of ours vs old: {100.0 * (old_mae - our_mae) / old_mae:.1f}%")
    lines.append(f"rows scored: {int(scored.sum()):,} of {len(target):,} (out-of-fold)")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=REAL_DATA)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--params", help="JSON object overriding ModelParams fields")
    args = parser.parse_args(argv)

    params = parse_params(args.params)
    frame, target = load_data(args.data)
    folds = KFold(n_splits=args.folds, shuffle=True, random_state=RANDOM_STATE)
    print(f"data: {args.data} ({len(frame):,} rows), {args.folds}-fold KFold(shuffle, 42)")
    print(f"threads: {thread_summary()}")
    print(f"ours: ModelParams({json.dumps(params.as_dict())})")
    results = [
        cross_validate("old (TE + GBR MAE loss)", old_model_fitter, frame, target, folds),
        cross_validate("ours", our_model_fitter(params), frame, target, folds),
    ]
    print()
    print(render_table(results, target.to_numpy(dtype=np.float64)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
