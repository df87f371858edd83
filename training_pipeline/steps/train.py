"""Training step, in SageMaker's training-job conventions.

Reads the `train` channel ($SM_CHANNEL_TRAIN), writes the model to $SM_MODEL_DIR;
hyperparameters arrive as --arguments. Runs the same way on a laptop:
`python -m training_pipeline.steps.train --train data/ --model-dir out/`.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import pandas as pd

from training_pipeline.data import load_dataset
from training_pipeline.model import ModelParams, PriceModel
from training_pipeline.profile import build_profile, write_profile
from training_pipeline.schema import FEATURES, TARGET
from training_pipeline.training import fit_model

PARAMS_FILENAME = "params.json"
MIN_TRAIN_ROWS = 50


def find_csv(location: Path, preferred: Sequence[str] = ("train.csv",)) -> Path:
    """A channel is a directory: take its only CSV, else the first preferred name.

    A file is itself. A directory with several CSVs and none preferred is an error,
    never a guess that could evaluate a model on its own training data.
    """
    if not location.is_dir():
        return location
    candidates = sorted(location.glob("*.csv"))
    if len(candidates) == 1:
        return candidates[0]
    for name in preferred:
        if (location / name) in candidates:
            return location / name
    raise FileNotFoundError(
        f"expected one CSV (or one of {', '.join(preferred)}) in {location}, "
        f"found {len(candidates)}"
    )


def train(train_location: Path, model_dir: Path, params: ModelParams) -> PriceModel:
    frame = load_dataset(find_csv(train_location), min_rows=MIN_TRAIN_ROWS)
    return fit_and_save(frame, model_dir, params)


def fit_and_save(frame: pd.DataFrame, model_dir: Path, params: ModelParams) -> PriceModel:
    """Fit on an already validated frame and write the model with its parameters and
    the training data's profile (the drift job's reference) beside it."""
    model = fit_model(frame, frame[TARGET], params)
    model.save(model_dir)
    (model_dir / PARAMS_FILENAME).write_text(json.dumps(params.as_dict(), indent=2))
    predicted, _ = model.predict_frame(frame[list(FEATURES)])
    write_profile(model_dir, build_profile(frame, predicted))
    return model


def params_from_json(text: str | None) -> ModelParams:
    """ModelParams with the fields a JSON object names overridden; unknown names fail.

    Raises ValueError, which argparse turns into a usage message for a `type=` argument.
    """
    if not text:
        return ModelParams()
    overrides: Any = json.loads(text)
    if not isinstance(overrides, dict):
        raise ValueError("model parameters must be a JSON object")
    unknown = sorted(set(overrides) - {f.name for f in fields(ModelParams)})
    if unknown:
        raise ValueError(f"unknown ModelParams fields: {', '.join(unknown)}")
    return replace(ModelParams(), **overrides)


def parse_args(argv: Sequence[str] | None) -> tuple[argparse.Namespace, ModelParams]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--train",
        type=Path,
        default=Path(os.environ.get("SM_CHANNEL_TRAIN", "/opt/ml/input/data/train")),
    )
    parser.add_argument(
        "--model-dir", type=Path, default=Path(os.environ.get("SM_MODEL_DIR", "/opt/ml/model"))
    )
    defaults = ModelParams()
    for field in fields(ModelParams):
        parser.add_argument(
            f"--{field.name.replace('_', '-')}",
            type=type(getattr(defaults, field.name)),
            default=getattr(defaults, field.name),
        )
    args = parser.parse_args(argv)
    params = ModelParams(**{field.name: getattr(args, field.name) for field in fields(ModelParams)})
    return args, params


def main(argv: Sequence[str] | None = None) -> None:
    args, params = parse_args(argv)
    train(args.train, args.model_dir, params)


if __name__ == "__main__":
    main()
