"""`python -m training_pipeline sagemaker definition|upsert|start`: the pipeline from a shell.

The SDK (requirements-sagemaker.txt) is imported only by `definition` and `upsert`, so
the local commands never load it. `start` is the API's own launcher
(chalice_app/aws/training.py: it must ship in the Lambda package, which carries
chalice_app only), imported when the command runs: boto3, no SDK.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from training_pipeline.errors import PipelineError
from training_pipeline.sagemaker.targets import (
    ENV_ACCOUNT,
    STAGES,
    default_bucket,
    resolve_targets,
)

SDK_MISSING = (
    "the SageMaker SDK is not installed: pip install -r requirements-sagemaker.txt "
    "(only the pipeline commands need it)"
)


def _definition(args: argparse.Namespace) -> int:
    harness = _harness()
    text = harness.definition(resolve_targets(args.stage))
    if args.graph:
        from training_pipeline.sagemaker.graph import render

        print(render(json.loads(text)))
    else:
        print(json.dumps(json.loads(text), indent=2))
    return 0


def _upsert(args: argparse.Namespace) -> int:
    harness = _harness()
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    targets = resolve_targets(args.stage)
    try:
        session = boto3.Session(region_name=targets.region)
        if not os.environ.get(ENV_ACCOUNT):  # ARNs need the real account: ask who we are
            account = session.client("sts").get_caller_identity()["Account"]
            targets = resolve_targets(args.stage, account=account)
        result = harness.upsert(targets, session)
    except (BotoCoreError, ClientError) as exc:
        raise PipelineError(f"upsert of {targets.pipeline_name} failed: {exc}") from exc
    print(f"{'created' if result.created else 'updated'} {result.pipeline_arn}")
    return 0


def _access(stage: str) -> Any:
    """The API's own launcher and status reader on the stage (chalice_app, lazily)."""
    from chalice_app.errors import ConfigurationError
    from chalice_app.wiring import build_pipeline_access

    env = dict(os.environ, PVP_STAGE=stage)
    # The bucket only names the API's default data, which these commands never use.
    env.setdefault("PVP_BUCKET", default_bucket(stage))
    try:
        return build_pipeline_access(env, "started with python -m training_pipeline")
    except ConfigurationError as exc:
        raise PipelineError(str(exc)) from None


def stage_runs(stage: str) -> list[dict[str, Any]]:
    """`runs --stage`: the stage's runs as the API's status route tells them."""
    from botocore.exceptions import BotoCoreError, ClientError

    from chalice_app.errors import TrainingUnavailableError

    access = _access(stage)
    try:
        runs: list[dict[str, Any]] = access.runs.list()
    except TrainingUnavailableError as exc:
        raise PipelineError(str(exc)) from None
    except (BotoCoreError, ClientError) as exc:  # from listing the executions
        raise PipelineError(f"cannot list the runs of {stage}: {exc}") from None
    return runs


def _start(args: argparse.Namespace) -> int:
    from chalice_app.errors import TrainingInputError, TrainingUnavailableError

    access = _access(args.stage)
    try:
        execution = access.launcher.start(
            args.train, args.validation, idempotency_key=args.idempotency_key
        )
    except TrainingInputError as exc:
        raise PipelineError(f"--{exc.field}: {exc.problem}") from None
    except TrainingUnavailableError as exc:
        raise PipelineError(str(exc)) from None
    print(f"started {execution.execution_id} on {access.settings.pipeline_name}")
    print(execution.execution_arn)
    return 0


def _harness() -> Any:
    import importlib.util

    if importlib.util.find_spec("sagemaker") is None:
        raise PipelineError(SDK_MISSING)
    from training_pipeline.sagemaker import harness

    return harness


def add_commands(commands: Any) -> None:
    """Add the `sagemaker` group to the CLI's subcommands."""
    group = commands.add_parser("sagemaker", help="define, upsert or start the SageMaker pipeline")
    actions = group.add_subparsers(dest="sagemaker_command", required=True)

    definition = actions.add_parser("definition", help="print the pipeline JSON (no AWS call)")
    definition.add_argument("--stage", choices=STAGES, default=STAGES[0])
    definition.add_argument("--graph", action="store_true", help="the step graph, as text")
    definition.set_defaults(handler=_definition)

    upsert = actions.add_parser("upsert", help="create or update the stage's pipeline")
    upsert.add_argument("--stage", choices=STAGES, required=True)
    upsert.set_defaults(handler=_upsert)

    start = actions.add_parser("start", help="start a run, as the API's /start_training does")
    start.add_argument("--stage", choices=STAGES, required=True)
    start.add_argument("--train", required=True, help="s3:// URI of the training CSV")
    start.add_argument("--validation", required=True, help="s3:// URI of the validation CSV")
    start.add_argument(
        "--idempotency-key", help="the same key never starts a second run (a retry's)"
    )
    start.set_defaults(handler=_start)
