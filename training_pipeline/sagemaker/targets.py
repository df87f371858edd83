"""What the pipeline of one stage points at: names, ARNs and S3 locations.

Derived from stage, account and region without any AWS call, so the definition prints
offline. Argument, then environment variable, then default (the names below).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from training_pipeline.container.layout import NO_CHAMPION
from training_pipeline.errors import PipelineError

# Chalice's app_name and stages (.chalice/config.json): Chalice names a
# @app.lambda_function `{app_name}-{stage}-{function name}`.
APP_NAME: Final = "property-value-predictor"
STAGES: Final = ("dev", "stg", "prd")
DEPLOY_CALLBACK: Final = "deploy_callback"
RECORD_REJECTION: Final = "record_rejection"

ENV_BUCKET: Final = "PVP_BUCKET"
ENV_ACCOUNT: Final = "PVP_AWS_ACCOUNT_ID"
ENV_ROLE_ARN: Final = "PVP_SAGEMAKER_ROLE_ARN"
ENV_IMAGE_URI: Final = "PVP_TRAINING_IMAGE_URI"
REGION_ENVS: Final = ("AWS_DEFAULT_REGION", "AWS_REGION")
DEFAULT_REGION: Final = "us-east-1"
# AWS's documentation account (and moto's): the offline definition needs some account.
PLACEHOLDER_ACCOUNT: Final = "123456789012"
# A champion input must name an S3 object; this one says "no champion yet".
NO_CHAMPION_KEY: Final = f"no-champion/{NO_CHAMPION}"
# The old system's data locations in the stage's bucket, which the API also starts runs
# on by default (chalice_app/constants.py; a test holds the two equal).
TRAIN_KEY: Final = "data/training_data/train.csv"
VALIDATION_KEY: Final = "data/validation_data/test.csv"


def default_bucket(stage: str) -> str:
    """The stage's bucket when PVP_BUCKET does not name one (.chalice/config.json's)."""
    return f"{APP_NAME}-data-{stage}"


def pipeline_name(stage: str) -> str:
    return f"property-evaluator-training-{stage}"


def model_package_group_name(stage: str) -> str:
    return f"property-value-regressor-{stage}"


def lambda_function_name(stage: str, function: str) -> str:
    return f"{APP_NAME}-{stage}-{function}"


@dataclass(frozen=True)
class PipelineTargets:
    stage: str
    region: str
    account: str
    bucket: str
    role_arn: str
    image_uri: str

    @property
    def pipeline_name(self) -> str:
        return pipeline_name(self.stage)

    @property
    def model_package_group(self) -> str:
        return model_package_group_name(self.stage)

    @property
    def artifacts_prefix(self) -> str:
        """Every object the pipeline or a run writes lives under this key prefix."""
        return f"pipelines/{self.pipeline_name}"

    @property
    def artifacts_uri(self) -> str:
        return f"s3://{self.bucket}/{self.artifacts_prefix}"

    @property
    def train_uri(self) -> str:
        return f"s3://{self.bucket}/{TRAIN_KEY}"

    @property
    def validation_uri(self) -> str:
        return f"s3://{self.bucket}/{VALIDATION_KEY}"

    @property
    def no_champion_key(self) -> str:
        return f"{self.artifacts_prefix}/{NO_CHAMPION_KEY}"

    @property
    def no_champion_uri(self) -> str:
        return f"s3://{self.bucket}/{self.no_champion_key}"

    def lambda_arn(self, function: str) -> str:
        name = lambda_function_name(self.stage, function)
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{name}"

    @property
    def deploy_callback_arn(self) -> str:
        return self.lambda_arn(DEPLOY_CALLBACK)

    @property
    def record_rejection_arn(self) -> str:
        return self.lambda_arn(RECORD_REJECTION)


def resolve_targets(
    stage: str, *, account: str | None = None, env: Mapping[str, str] | None = None
) -> PipelineTargets:
    env = os.environ if env is None else env
    if stage not in STAGES:
        raise PipelineError(f"unknown stage {stage!r}; the stages are {', '.join(STAGES)}")
    region = next((env[name] for name in REGION_ENVS if env.get(name)), DEFAULT_REGION)
    account = account or env.get(ENV_ACCOUNT) or PLACEHOLDER_ACCOUNT
    return PipelineTargets(
        stage=stage,
        region=region,
        account=account,
        bucket=env.get(ENV_BUCKET) or default_bucket(stage),
        role_arn=env.get(ENV_ROLE_ARN)
        or f"arn:aws:iam::{account}:role/{APP_NAME}-sagemaker-{stage}",
        image_uri=env.get(ENV_IMAGE_URI)
        or f"{account}.dkr.ecr.{region}.amazonaws.com/{APP_NAME}-training:{stage}",
    )
