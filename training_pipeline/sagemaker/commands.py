"""`python -m training_pipeline sagemaker definition|upsert`: the pipeline from a shell.

The SDK (requirements-sagemaker.txt) is imported only when these run, so the local
commands never load it. Starting a run and listing a stage's runs are the operator
CLI's (`python -m ops start|runs --stage S`): they use the API's own launcher.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from contract import environment as env_vars
from contract.resources import DEFAULT_STAGE
from training_pipeline.errors import PipelineError
from training_pipeline.sagemaker.targets import resolve_targets

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
        if not env_vars.ACCOUNT_ID.given(os.environ):  # ARNs need the real account
            account = session.client("sts").get_caller_identity()["Account"]
            targets = resolve_targets(args.stage, account=account)
        result = harness.upsert(targets, session)
    except (BotoCoreError, ClientError) as exc:
        raise PipelineError(f"upsert of {targets.names.pipeline} failed: {exc}") from exc
    print(f"{'created' if result.created else 'updated'} {result.pipeline_arn}")
    print(f"model image {result.image_uri}")
    return 0


def _harness() -> Any:
    import importlib.util

    if importlib.util.find_spec("sagemaker") is None:
        raise PipelineError(SDK_MISSING)
    from training_pipeline.sagemaker import harness

    return harness


def add_commands(commands: Any) -> None:
    """Add the `sagemaker` group to the CLI's subcommands."""
    group = commands.add_parser("sagemaker", help="define or upsert the SageMaker pipeline")
    actions = group.add_subparsers(dest="sagemaker_command", required=True)

    definition = actions.add_parser("definition", help="print the pipeline JSON (no AWS call)")
    definition.add_argument("--stage", default=DEFAULT_STAGE)
    definition.add_argument("--graph", action="store_true", help="the step graph, as text")
    definition.set_defaults(handler=_definition)

    upsert = actions.add_parser("upsert", help="create or update the stage's pipeline")
    upsert.add_argument("--stage", required=True)
    upsert.set_defaults(handler=_upsert)
