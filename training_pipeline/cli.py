"""`python -m training_pipeline ...`: the local pipeline from a shell."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from contract.environment import MODEL_PARAMS
from contract.settings import ConfigurationError
from training_pipeline.errors import DataValidationError, PipelineError
from training_pipeline.gate import DEFAULT_MAX_MAE
from training_pipeline.sagemaker.commands import add_commands as add_sagemaker_commands
from training_pipeline.store import resolve_home

EXIT_FAILED = 1


def _sample_data(args: argparse.Namespace) -> int:
    from training_pipeline.sample_data import write_sample

    train, test = write_sample(args.out, rows=args.rows, seed=args.seed)
    print(f"wrote {train} and {test}")
    return 0


def _model_params(text: str) -> Any:
    """argparse type for --params; imported late, as the model pulls in pandas."""
    from training_pipeline.steps.train import params_from_json

    return params_from_json(text)


def _run(args: argparse.Namespace) -> int:
    from training_pipeline.runner import run_pipeline

    say = (lambda line: print(line, file=sys.stderr)) if args.json else print
    record = run_pipeline(
        resolve_home(),
        args.train,
        args.validation,
        run_id=args.run_id,
        params=args.params,
        max_mae=args.max_mae,
        say=say,
    )
    summary: dict[str, Any] = {
        "run_id": record.run_id,
        "status": record.status,
        "metrics": record.metrics,
        "model_version": record.model_version,
        "reason": record.reason,
        "gate": record.gate,
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(
            f"run {record.run_id}: {record.status}"
            + (f" ({record.reason})" if record.reason else "")
        )
    return EXIT_FAILED if record.status == "failed" else 0


def _predict(args: argparse.Namespace) -> int:
    import pandas as pd

    from training_pipeline.data import CSV_ERRORS
    from training_pipeline.registry import LocalRegistry

    deployed = LocalRegistry(resolve_home()).deployed_model()
    if deployed is None:
        raise PipelineError("no model is deployed yet: run `python -m training_pipeline run` first")
    version, model = deployed
    try:
        frame = pd.read_csv(args.input)
    except CSV_ERRORS as exc:
        raise DataValidationError(None, f"{args.input} is not a readable CSV: {exc}") from exc
    values, lows, highs, problems = model.estimate_frame(frame)
    frame["predicted_price"] = values.round(1)
    # The model's RANGE_LEVEL (80%) range around each price.
    frame["predicted_price_low"] = lows.round(1)
    frame["predicted_price_high"] = highs.round(1)
    if any(problems):
        frame["prediction_error"] = problems
    frame.to_csv(args.output, index=False)
    print(
        f"scored {len(frame)} rows with {version} into {args.output}"
        + (
            f"; {sum(p is not None for p in problems)} rows could not be scored"
            if any(problems)
            else ""
        )
    )
    return 0


def format_run(run: dict[str, Any]) -> str:
    """One run per line, in the same words whichever backend recorded it."""
    metrics = run.get("metrics") or {}
    mae = f"MAE {metrics['mae']:,.0f}" if metrics.get("mae") is not None else ""
    version = run.get("model_version") or "-"
    line = f"{run['run_id']}  {run['status']:<9} {version:<6} {mae:<12} {run.get('reason') or ''}"
    return line.rstrip()


def _runs(args: argparse.Namespace) -> int:
    from training_pipeline.run_log import RunLog

    for run in RunLog(resolve_home()).list():
        print(format_run(run.as_dict()))
    return 0


def _models(args: argparse.Namespace) -> int:
    from training_pipeline.registry import LocalRegistry

    registry = LocalRegistry(resolve_home())
    deployed = registry.deployed_version()
    for model in registry.list():
        marker = "*" if model.version == deployed else " "
        mae = model.metrics.get("mae", float("nan"))
        print(f"{marker} {model.version}  {model.status:<9} MAE {mae:,.0f}  run {model.run_id}")
    return 0


def _rollback(args: argparse.Namespace) -> int:
    from training_pipeline.registry import LocalRegistry

    LocalRegistry(resolve_home()).rollback(args.version)
    print(f"serving {args.version}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m training_pipeline", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    sample = commands.add_parser("sample-data", help="write a deterministic synthetic sample")
    sample.add_argument("--out", type=Path, required=True)
    sample.add_argument("--rows", type=int, default=4000)
    sample.add_argument("--seed", type=int, default=7)
    sample.set_defaults(handler=_sample_data)

    run = commands.add_parser("run", help="validate, train, evaluate, gate, register, deploy")
    run.add_argument("--train", required=True)
    run.add_argument("--validation", required=True)
    run.add_argument("--run-id", help="continue a run a launcher already recorded as pending")
    run.add_argument("--max-mae", type=float, default=DEFAULT_MAX_MAE, help="gate threshold, UF")
    run.add_argument(
        "--params",
        type=_model_params,
        # Configuration for runs started by others (the API's launcher, `make run`).
        default=MODEL_PARAMS.read(os.environ),
        help="JSON object overriding model parameters, e.g. '{\"iterations\": 200}' "
        f"(default: ${MODEL_PARAMS.name}, else the model's own defaults)",
    )
    run.add_argument("--json", action="store_true", help="end stdout with one JSON summary line")
    run.set_defaults(handler=_run)

    predict = commands.add_parser("predict", help="score a CSV with the deployed model")
    predict.add_argument("--input", type=Path, required=True)
    predict.add_argument("--output", type=Path, required=True)
    predict.set_defaults(handler=_predict)

    runs = commands.add_parser(
        "runs", help="list local training runs (a stage's: python -m ops runs --stage S)"
    )
    runs.set_defaults(handler=_runs)
    commands.add_parser("models", help="list model versions").set_defaults(handler=_models)

    rollback = commands.add_parser("rollback", help="serve an earlier accepted version")
    rollback.add_argument("version")
    rollback.set_defaults(handler=_rollback)

    add_sagemaker_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except (PipelineError, ConfigurationError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
