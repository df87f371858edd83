"""`runs --stage S` and `start --stage S`: a stage's training runs, through the API's own
launcher and status reader, so a run reads the same here as on GET /training/{id}; `runs`
lists the stage's batch jobs (`batch`) after them."""

from __future__ import annotations

import argparse
import os
from typing import Any

from ops.errors import OperatorError


def _access(stage: str) -> Any:
    from chalice_app.config import load_aws_settings
    from chalice_app.wiring import build_pipeline_access

    return build_pipeline_access(
        load_aws_settings(os.environ, stage=stage), "started with python -m ops start"
    )


def _runs(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from chalice_app.aws.clients import AwsClients
    from chalice_app.errors import TrainingUnavailableError
    from ops.batch import job_lines
    from training_pipeline.cli import format_run

    access = _access(args.stage)
    try:
        runs = access.runs.list()
        jobs = list(job_lines(access.settings, AwsClients(access.settings).get("sagemaker")))
    except TrainingUnavailableError as exc:
        raise OperatorError(str(exc)) from None
    except (BotoCoreError, ClientError) as exc:  # from listing the executions or jobs
        raise OperatorError(f"cannot list the runs of {args.stage}: {exc}") from None
    for run in runs:
        print(format_run(run))
    for job in jobs:  # `python -m ops batch`'s
        print(job)
    return 0


def _start(args: argparse.Namespace) -> int:
    from chalice_app.errors import TrainingInputError, TrainingUnavailableError

    access = _access(args.stage)
    try:
        execution = access.launcher.start(
            args.train, args.validation, idempotency_key=args.idempotency_key
        )
    except TrainingInputError as exc:
        raise OperatorError(f"--{exc.field}: {exc.problem}") from None
    except TrainingUnavailableError as exc:
        raise OperatorError(str(exc)) from None
    print(f"started {execution.execution_id} on {access.settings.pipeline_name}")
    print(execution.execution_arn)
    return 0


def add_commands(commands: Any) -> None:
    runs = commands.add_parser("runs", help="list a stage's training runs, oldest first")
    runs.add_argument("--stage", required=True)
    runs.set_defaults(handler=_runs)

    start = commands.add_parser("start", help="start a run, as the API's /start_training does")
    start.add_argument("--stage", required=True)
    start.add_argument("--train", help="s3:// URI of the training CSV (default: the stage's)")
    start.add_argument("--validation", help="s3:// URI of the validation CSV")
    start.add_argument(
        "--idempotency-key", help="the same key never starts a second run (a retry's)"
    )
    start.set_defaults(handler=_start)
