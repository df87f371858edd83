"""The thin harness around `get_pipeline`: the definition, and the upsert.

`definition` makes no AWS call: the SDK's telemetry is opted out, no SDK config file is
read (the definition depends on this repository only), every output has an explicit
S3 destination and the role is not looked up (SAGEMAKER_VALIDATE_ROLE=false).
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from contract.resources import APP_NAME, StageTargets

# The SDK reads these when it is imported or used; set before the first import.
_SDK_ENVIRONMENT = {"SAGEMAKER_VALIDATE_ROLE": "false", "SAGEMAKER_SUPPRESS_V2_WARNING": "1"}
# Explicit, so no admin or user config file can change the definition, and no telemetry.
SDK_CONFIG: dict[str, Any] = {
    "SchemaVersion": "1.0",
    "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}},
}
_QUIET_LOGGERS = ("sagemaker", "sagemaker.config", "botocore")
_MISSING = ("ResourceNotFound", "ValidationException")  # how describe_* says "no such thing"
NO_CHAMPION_TEXT = (
    "No champion: the pipeline's evaluate step reads this marker as 'first run'.\n"
    "Launchers pass ChampionModelDataUrl (the deployed model's model.tar.gz) and\n"
    "ChampionVersion (its version) once one serves.\n"
)


@contextmanager
def _quiet_sdk() -> Iterator[None]:
    """The SDK logs notices and warns on every definition; stdout is for the JSON."""
    for name, value in _SDK_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    loggers = [logging.getLogger(name) for name in _QUIET_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            # Lambda steps name existing functions (Chalice deploys them), by design; and
            # a PipelineSession never starts jobs, which is the point of using one.
            warnings.filterwarnings("ignore", message="Lambda function won't be updated")
            warnings.filterwarnings("ignore", message="Running within a PipelineSession")
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


@contextmanager
def _config_validated_once() -> Iterator[None]:
    """Skip the SDK's re-validation of SDK_CONFIG on every config lookup.

    The SDK checks its config against its JSON schema on each of the ~50 lookups a
    definition makes (0.5 s each here: 25 s per definition). The session validates
    SDK_CONFIG once when it is made; any other config is still checked every time.
    """
    import sagemaker.utils as sdk_utils

    original = sdk_utils.validate_sagemaker_config

    def validate(sagemaker_config: Any = None) -> Any:
        if sagemaker_config is not SDK_CONFIG:
            return original(sagemaker_config)
        return None

    sdk_utils.validate_sagemaker_config = validate
    try:
        yield
    finally:
        sdk_utils.validate_sagemaker_config = original


def definition(targets: StageTargets) -> str:
    """The pipeline's JSON definition, built offline."""
    with _quiet_sdk(), _config_validated_once():
        import boto3
        from sagemaker.workflow.pipeline_context import PipelineSession

        from training_pipeline.sagemaker.pipeline import get_pipeline

        session = PipelineSession(
            boto_session=boto3.Session(region_name=targets.region),
            default_bucket=targets.bucket,
            sagemaker_config=SDK_CONFIG,
        )
        return str(get_pipeline(targets, session).definition())


@dataclass(frozen=True)
class UpsertResult:
    pipeline_arn: str
    created: bool
    image_uri: str  # the model image the definition names, by digest


def upsert(targets: StageTargets, boto_session: Any) -> UpsertResult:
    """Create or update the stage's pipeline, with what its first run needs beside it.

    The model image is pinned by digest first (images.py): upsert after each push.
    """
    from training_pipeline.sagemaker.images import with_pinned_image

    targets = with_pinned_image(targets, boto_session.client("ecr", region_name=targets.region))
    body = definition(targets)
    sagemaker = boto_session.client("sagemaker", region_name=targets.region)
    boto_session.client("s3", region_name=targets.region).put_object(
        Bucket=targets.bucket,
        Key=targets.names.no_champion_key,
        Body=NO_CHAMPION_TEXT.encode(),
        ContentType="text/plain",
    )
    tags = [{"Key": "app", "Value": APP_NAME}, {"Key": "stage", "Value": targets.stage}]
    group = targets.names.model_package_group
    if not _exists(lambda: sagemaker.describe_model_package_group(ModelPackageGroupName=group)):
        sagemaker.create_model_package_group(
            ModelPackageGroupName=targets.names.model_package_group,
            ModelPackageGroupDescription=f"Price models trained by {targets.names.pipeline}",
            Tags=tags,
        )
    request = {
        "PipelineName": targets.names.pipeline,
        "PipelineDefinition": body,
        "PipelineDescription": "train, evaluate against the champion, gate, register, deploy",
        "RoleArn": targets.role_arn,
    }
    if _exists(lambda: sagemaker.describe_pipeline(PipelineName=targets.names.pipeline)):
        arn = sagemaker.update_pipeline(**request)["PipelineArn"]
        return UpsertResult(str(arn), False, targets.image_uri)
    arn = sagemaker.create_pipeline(**request, Tags=tags)["PipelineArn"]
    return UpsertResult(str(arn), True, targets.image_uri)


def _exists(describe: Callable[[], object]) -> bool:
    from botocore.exceptions import ClientError

    try:
        describe()
    except ClientError as exc:
        if exc.response["Error"]["Code"] in _MISSING:
            return False
        raise
    return True
