"""Evaluation step, in SageMaker's processing-job conventions.

Reads the model from /opt/ml/processing/model (a model.tar.gz as a training job leaves
it, or the unpacked files) and the validation CSV from /opt/ml/processing/validation;
writes evaluation.json and a report PNG to /opt/ml/processing/evaluation. Every path
can be overridden with an argument.
"""

from __future__ import annotations

import argparse
import json
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from training_pipeline.data import load_dataset
from training_pipeline.metrics import regression_metrics
from training_pipeline.model import MODEL_FILENAME, PriceModel
from training_pipeline.schema import TARGET
from training_pipeline.steps.train import find_csv

EVALUATION_FILENAME = "evaluation.json"
REPORT_FILENAME = "report.png"
VALIDATION_NAMES = ("validation.csv", "test.csv")
PROCESSING = Path("/opt/ml/processing")


def load_model(model_dir: Path) -> PriceModel:
    archive = model_dir / "model.tar.gz"
    if not (model_dir / MODEL_FILENAME).exists() and archive.exists():
        with tarfile.open(archive) as tar:
            tar.extractall(model_dir, filter="data")
    return PriceModel.load(model_dir)


@dataclass(frozen=True)
class Scored:
    metrics: dict[str, Any]
    predicted: np.ndarray  # NaN where the model could not score the row

    @property
    def scored(self) -> np.ndarray:
        return ~np.isnan(self.predicted)


def score(model: PriceModel, frame: pd.DataFrame) -> Scored:
    """Metrics of a model on validated data; rows it cannot score are counted apart."""
    predicted, _ = model.predict_frame(frame)
    scored = ~np.isnan(predicted)
    metrics = regression_metrics(frame[TARGET].to_numpy()[scored], predicted[scored])
    metrics["n_unscored"] = int((~scored).sum())
    return Scored(metrics, predicted)


def evaluate(model_dir: Path, validation: Path, output_dir: Path) -> dict[str, Any]:
    model = load_model(model_dir)
    validation_csv = find_csv(validation, VALIDATION_NAMES)
    frame = load_dataset(validation_csv)
    result = score(model, frame)
    output_dir.mkdir(parents=True, exist_ok=True)
    evaluation = {"metrics": result.metrics}
    (output_dir / EVALUATION_FILENAME).write_text(json.dumps(evaluation, indent=2))
    from training_pipeline.report import write_report  # matplotlib only when reporting

    write_report(
        frame[TARGET].to_numpy()[result.scored],
        result.predicted[result.scored],
        frame["sector"].to_numpy()[result.scored],
        output_dir / REPORT_FILENAME,
        title=f"Validation: {validation_csv.name}",
    )
    return evaluation


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model-dir", type=Path, default=PROCESSING / "model")
    parser.add_argument("--validation", type=Path, default=PROCESSING / "validation")
    parser.add_argument("--output-dir", type=Path, default=PROCESSING / "evaluation")
    args = parser.parse_args(argv)
    evaluate(args.model_dir, args.validation, args.output_dir)


if __name__ == "__main__":
    main()
