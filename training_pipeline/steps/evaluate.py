"""Evaluation step, in SageMaker's processing-job conventions.

Reads the model from /opt/ml/processing/model (a model.tar.gz as a training job leaves
it, or the unpacked files) and the validation CSV from /opt/ml/processing/validation;
writes evaluation.json and a report PNG to /opt/ml/processing/evaluation. Every path
can be overridden with an argument.

Given the deployed champion (--champion-model-dir), it re-scores it on the same
validation rows and writes the quality gate's decision into evaluation.json, so the
local runner and the SageMaker pipeline decide with one rule (gate.py) in one place.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from contract.pipeline import EVALUATION_FILENAME
from contract.resources import NO_CHAMPION_MARKER
from training_pipeline.container.layout import (
    PROCESSING_EVALUATION,
    PROCESSING_MODEL,
    PROCESSING_VALIDATION,
    processing_path,
)
from training_pipeline.data import load_dataset
from training_pipeline.gate import DEFAULT_MAX_MAE, decide
from training_pipeline.metrics import range_metrics, range_metrics_by, regression_metrics
from training_pipeline.model import PriceModel, load_model
from training_pipeline.schema import TARGET
from training_pipeline.steps.train import find_csv

REPORT_FILENAME = "report.png"
VALIDATION_NAMES = ("validation.csv", "test.csv")


@dataclass(frozen=True)
class Scored:
    metrics: dict[str, Any]
    # NaN where the model could not score the row.
    predicted: np.ndarray
    low: np.ndarray
    high: np.ndarray

    @property
    def scored(self) -> np.ndarray:
        return ~np.isnan(self.predicted)


def score(model: PriceModel, frame: pd.DataFrame) -> Scored:
    """Metrics of a model on validated data; rows it cannot score are counted apart."""
    predicted, low, high, _ = model.estimate_frame(frame)
    scored = ~np.isnan(predicted)
    metrics = regression_metrics(frame[TARGET].to_numpy()[scored], predicted[scored])
    metrics["n_unscored"] = int((~scored).sum())
    return Scored(metrics, predicted, low, high)


def price_range_report(result: Scored, frame: pd.DataFrame, level: float) -> dict[str, Any]:
    """Coverage and median width of the price range: overall, by type and by sector."""
    keep = result.scored
    columns = (
        frame[TARGET].to_numpy(dtype=np.float64)[keep],
        result.predicted[keep],
        result.low[keep],
        result.high[keep],
    )
    return {
        "level": level,
        **range_metrics(*columns),
        "by_type": range_metrics_by(frame["type"].to_numpy()[keep], *columns),
        "by_sector": range_metrics_by(frame["sector"].to_numpy()[keep], *columns),
    }


def load_champion(champion_dir: Path | None, version: str | None = None) -> PriceModel | None:
    if champion_dir is None or (champion_dir / NO_CHAMPION_MARKER).exists():
        return None
    try:
        return load_model(champion_dir)
    except FileNotFoundError:
        raise  # no model where the champion should be: a wrong location, not "no champion"
    except Exception as exc:  # unpickling bad bytes raises any type: KeyError, struct.error...
        # A champion whose file is there but cannot be loaded is no reason to keep it:
        # the challenger is judged on the threshold alone, so a good run can replace it.
        name = version or "the deployed model"
        print(f"champion {name} cannot be loaded ({exc!r}): no champion to beat", file=sys.stderr)
        return None


def judge(
    challenger: dict[str, Any],
    frame: pd.DataFrame,
    champion_dir: Path | None,
    champion_version: str | None,
    max_mae: float,
) -> dict[str, Any]:
    """The gate's inputs and decision: the champion re-scored on the same rows."""
    champion = load_champion(champion_dir, champion_version)
    champion_metrics = None if champion is None else score(champion, frame).metrics
    version = None if champion is None else champion_version
    decision = decide(challenger, champion_metrics, max_mae=max_mae, champion_version=version)
    return {
        "champion": None
        if champion_metrics is None
        else {"version": champion_version, "metrics": champion_metrics},
        "gate": decision.as_dict(),
    }


def evaluate(
    model_dir: Path,
    validation: Path,
    output_dir: Path,
    *,
    champion_dir: Path | None = None,
    champion_version: str | None = None,
    max_mae: float = DEFAULT_MAX_MAE,
) -> dict[str, Any]:
    model = load_model(model_dir)
    validation_csv = find_csv(validation, VALIDATION_NAMES)
    frame = load_dataset(validation_csv)
    result = score(model, frame)
    output_dir.mkdir(parents=True, exist_ok=True)
    evaluation: dict[str, Any] = {
        "metrics": result.metrics,
        "price_range": price_range_report(result, frame, model.price_range.level),
    }
    evaluation.update(judge(result.metrics, frame, champion_dir, champion_version, max_mae))
    (output_dir / EVALUATION_FILENAME).write_text(json.dumps(evaluation, indent=2))
    from training_pipeline.report import write_report  # matplotlib only when reporting

    keep = result.scored
    write_report(
        frame[TARGET].to_numpy()[keep],
        result.predicted[keep],
        frame["sector"].to_numpy()[keep],
        output_dir / REPORT_FILENAME,
        title=f"Validation: {validation_csv.name}",
        price_range=(result.low[keep], result.high[keep], model.price_range.level),
    )
    return evaluation


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model-dir", type=Path, default=Path(processing_path(PROCESSING_MODEL)))
    parser.add_argument(
        "--validation", type=Path, default=Path(processing_path(PROCESSING_VALIDATION))
    )
    parser.add_argument(
        "--output-dir", type=Path, default=Path(processing_path(PROCESSING_EVALUATION))
    )
    parser.add_argument(
        "--champion-model-dir", type=Path, help="the deployed model, re-scored for the gate"
    )
    parser.add_argument("--champion-version", help="how the gate's reason names the champion")
    parser.add_argument("--max-mae", type=float, default=DEFAULT_MAX_MAE, help="gate, UF")
    args = parser.parse_args(argv)
    evaluate(
        args.model_dir,
        args.validation,
        args.output_dir,
        champion_dir=args.champion_model_dir,
        champion_version=args.champion_version,
        max_mae=args.max_mae,
    )


if __name__ == "__main__":
    main()
