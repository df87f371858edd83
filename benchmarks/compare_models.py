"""Cross-validate the old system's model, main's model before issue 9 and ours, on the
same folds, side by side; then the coverage and width of our price range.

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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold

from benchmarks.baselines import Fitter, main_model_fitter, old_model_fitter
from benchmarks.paths import REAL_DATA
from training_pipeline.metrics import range_metrics, range_metrics_by, regression_metrics
from training_pipeline.model import RANGE_LEVEL, ModelParams
from training_pipeline.schema import FEATURES, TARGET
from training_pipeline.steps.train import params_from_json
from training_pipeline.training import fit_model

RANDOM_STATE = 42
# Metric keys in table order, with the labels the table shows.
METRIC_LABELS = (
    ("rmse", "RMSE (UF)"),
    ("mae", "MAE (UF)"),
    ("mape", "MAPE (%)"),
    ("median_ape", "median APE (%)"),
    ("r2", "R2"),
)


def load_data(path: Path) -> tuple[pd.DataFrame, pd.Series]:
    """The feature columns and the price of a CSV in the case's format."""
    if not path.is_file():
        raise SystemExit(f"no data file at {path}; pass --data PATH")
    frame = pd.read_csv(path)
    missing = [col for col in (*FEATURES, TARGET) if col not in frame.columns]
    if missing:
        raise SystemExit(f"{path} lacks columns: {', '.join(missing)}")
    return frame[list(FEATURES)], frame[TARGET]


@dataclass
class CVResult:
    """Out-of-fold predictions (and ranges, for ours) of one model, and what fitting cost."""

    name: str
    predictions: np.ndarray
    lows: np.ndarray
    highs: np.ndarray
    fit_seconds: list[float] = field(default_factory=list)


# Values, lows and highs for a test fold (NaN ranges for models without one).
Estimates = tuple[np.ndarray, np.ndarray, np.ndarray]
# Fits on a training fold and returns the estimator of a test fold.
RangedFitter = Callable[[pd.DataFrame, pd.Series], Callable[[pd.DataFrame], Estimates]]


def without_range(fitter: Fitter) -> RangedFitter:
    def fit(frame: pd.DataFrame, target: pd.Series) -> Callable[[pd.DataFrame], Estimates]:
        predict = fitter(frame, target)

        def estimate(test: pd.DataFrame) -> Estimates:
            no_range = np.full(len(test), np.nan)
            return predict(test), no_range, no_range

        return estimate

    return fit


def our_model_fitter(params: ModelParams) -> RangedFitter:
    def fit(frame: pd.DataFrame, target: pd.Series) -> Callable[[pd.DataFrame], Estimates]:
        model = fit_model(frame, target, params)
        return lambda test: model.estimate_frame(test)[:3]

    return fit


def cross_validate(
    name: str, fitter: RangedFitter, frame: pd.DataFrame, target: pd.Series, folds: KFold
) -> CVResult:
    empty = np.full(len(frame), np.nan)
    result = CVResult(name, empty.copy(), empty.copy(), empty.copy())
    for train_idx, test_idx in folds.split(frame):
        started = time.perf_counter()
        estimate = fitter(frame.iloc[train_idx], target.iloc[train_idx])
        result.fit_seconds.append(time.perf_counter() - started)
        values, lows, highs = estimate(frame.iloc[test_idx])
        result.predictions[test_idx], result.lows[test_idx] = values, lows
        result.highs[test_idx] = highs
    return result


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


def render_range_table(result: CVResult, target: np.ndarray, types: np.ndarray) -> str:
    """Out-of-fold coverage and median width (% of the estimate): overall and by type."""
    keep = np.isfinite(result.predictions)
    columns = (target[keep], result.predictions[keep], result.lows[keep], result.highs[keep])
    rows = {"all": range_metrics(*columns), **range_metrics_by(types[keep], *columns)}
    lines = [
        "| rows | n | coverage (%) | median width (% of estimate) |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, m in rows.items():
        lines.append(
            f"| {name} | {m['n_rows']:,} | {100 * m['coverage']:.1f} "
            f"| {100 * m['median_width']:.1f} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=REAL_DATA)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--params",
        type=params_from_json,
        default=ModelParams(),
        help="JSON object overriding ModelParams fields",
    )
    args = parser.parse_args(argv)

    params: ModelParams = args.params
    frame, target = load_data(args.data)
    folds = KFold(n_splits=args.folds, shuffle=True, random_state=RANDOM_STATE)
    print(f"data: {args.data} ({len(frame):,} rows), {args.folds}-fold KFold(shuffle, 42)")
    print(f"threads: {thread_summary()}")
    print(f"ours: ModelParams({json.dumps(params.as_dict())})")
    fitters = {
        "old (TE + GBR MAE loss)": without_range(old_model_fitter),
        "main before issue 9 (GBR 64 x depth 10)": without_range(main_model_fitter),
        "ours": our_model_fitter(params),
    }
    results = [
        cross_validate(name, fitter, frame, target, folds) for name, fitter in fitters.items()
    ]
    truth = target.to_numpy(dtype=np.float64)
    print()
    print(render_table(results, truth))
    print()
    print(f"ours: out-of-fold {RANGE_LEVEL:.0%} price range")
    print(render_range_table(results[-1], truth, frame["type"].to_numpy()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
