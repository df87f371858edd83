"""`train`: the training job's program (SageMaker runs `docker run IMAGE train`).

Reads the `train` channel and hyperparameters.json (SageMaker writes every value as a
string), maps them onto steps/train.py's flags, and writes the model to /opt/ml/model,
which SageMaker packs into model.tar.gz.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
from collections.abc import Mapping

from training_pipeline.container.failure import run_reporting_failure
from training_pipeline.container.layout import TRAIN_CHANNEL, OptMl
from training_pipeline.model import ModelParams
from training_pipeline.steps.train import parse_args, train

# Keys the SDK or the service may add on its own; they are not model parameters.
RESERVED_PREFIX = "sagemaker_"


class HyperparameterError(ValueError):
    """A hyperparameter the training step does not know, or a value of the wrong type."""


def hyperparameter_flags(hyperparameters: Mapping[str, object]) -> list[str]:
    """{"iterations": "64"} -> ["--iterations", "64"]: the step's own flags."""
    flags: list[str] = []
    for name, value in sorted(hyperparameters.items()):
        if name.startswith(RESERVED_PREFIX):
            continue
        flags += [f"--{name.replace('_', '-')}", str(value)]
    return flags


def parse_hyperparameters(
    hyperparameters: Mapping[str, object], paths: OptMl
) -> tuple[argparse.Namespace, ModelParams]:
    argv = [
        *hyperparameter_flags(hyperparameters),
        "--train",
        str(paths.channel(TRAIN_CHANNEL)),
        "--model-dir",
        str(paths.model),
    ]
    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors):
            return parse_args(argv)
    except SystemExit:  # argparse's way of saying a flag or a value is wrong
        message = errors.getvalue().strip().splitlines()[-1]
        raise HyperparameterError(message.split("error: ", 1)[-1]) from None


def run(paths: OptMl) -> None:
    config = paths.hyperparameters
    hyperparameters = json.loads(config.read_text()) if config.exists() else {}
    args, params = parse_hyperparameters(hyperparameters, paths)
    train(args.train, args.model_dir, params)


def main() -> int:
    paths = OptMl.from_env()
    return run_reporting_failure(lambda: run(paths), paths.training_failure)


if __name__ == "__main__":
    raise SystemExit(main())
