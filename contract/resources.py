"""Every AWS resource a stage has, named from the stage: the one place names are made.

The names are the old system's, with the stage suffix. The API's settings, the
pipeline definition, the IAM policies, the CloudFormation templates and the dev stack
on moto all take them from here. A stage is any short lower-case name (`dev`, `stg` and
`prd` are the stages the templates ship; `local` and personal stages work too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from contract.settings import ConfigurationError

APP_NAME: Final = "property-value-predictor"
# One service name in every log line, one CloudWatch namespace for every metric (the
# alarms and dashboards read it).
METRICS_NAMESPACE: Final = "PropertyValuePredictor"
# The stages the repository's configuration and templates ship.
SHIPPED_STAGES: Final = ("dev", "stg", "prd")
DEFAULT_STAGE: Final = "dev"
# Short and safe in every AWS name it ends up in: the longest, a Lambda function name
# (64 characters), holds the app name, a 16-character stage and the longest function name.
STAGE_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9-]{0,15}")
STAGE_RULE: Final = "1-16 lower-case letters, digits or hyphens, not starting with a hyphen"

# The Chalice app's Lambda functions besides the API handler (`@app.lambda_function`
# names): Chalice deploys each as `{APP_NAME}-{stage}-{name}`.
DEPLOY_CALLBACK: Final = "deploy_callback"
RECORD_REJECTION: Final = "record_rejection"
DEPLOY_WATCH: Final = "deploy_watch"
# Secrets Manager's rotation hook for the API keys secret.
ROTATE_API_KEYS: Final = "rotate_api_keys"
# Calls the stage's API with the old system's test event (the old system named it
# `test-api-lambda-{stage}`; docs/test-events.md maps the names).
TEST_INVOKER: Final = "test_invoker"

# The stage bucket's data: the old system's locations, the API's default training data.
TRAIN_KEY: Final = "data/training_data/train.csv"
VALIDATION_KEY: Final = "data/validation_data/test.csv"
# A champion input must name an S3 object; this one says "no champion yet".
NO_CHAMPION_MARKER: Final = "NO_CHAMPION"
# AWS's documentation account (and moto's): what an offline definition names.
PLACEHOLDER_ACCOUNT: Final = "123456789012"


def check_stage(stage: str) -> str:
    if not STAGE_PATTERN.fullmatch(stage):
        raise ConfigurationError(f"stage {stage!r} must be {STAGE_RULE}")
    return stage


@dataclass(frozen=True)
class StageNames:
    """The names of one stage's resources (no account or region: those are ARNs')."""

    stage: str

    def __post_init__(self) -> None:
        check_stage(self.stage)

    @property
    def bucket(self) -> str:
        return f"{APP_NAME}-data-{self.stage}"

    @property
    def secret(self) -> str:
        return f"{APP_NAME}-api-keys-{self.stage}"

    @property
    def prediction_table(self) -> str:
        return f"inference-results-logging-table-{self.stage}"

    @property
    def run_table(self) -> str:
        return f"training-pipeline-results-{self.stage}"

    @property
    def pipeline(self) -> str:
        return f"property-evaluator-training-{self.stage}"

    @property
    def endpoint(self) -> str:
        return f"property-value-regressor-serverless-endpoint-{self.stage}"

    @property
    def model_package_group(self) -> str:
        return f"property-value-regressor-{self.stage}"

    @property
    def sagemaker_role(self) -> str:
        return f"{APP_NAME}-sagemaker-{self.stage}"

    @property
    def model_image_repository(self) -> str:
        return f"{APP_NAME}-training"

    def function(self, name: str) -> str:
        """A Chalice Lambda function's deployed name."""
        return f"{APP_NAME}-{self.stage}-{name}"

    def served(self, version: str) -> str:
        """The SageMaker Model and endpoint config the deploy makes for a version (both)."""
        return f"property-value-regressor-{self.stage}-{version}"

    @property
    def served_prefix(self) -> str:
        """What every served name of this stage starts with (IAM grants exactly this)."""
        return self.served("")

    @property
    def transform_job_prefix(self) -> str:
        """What every Batch Transform job of this stage is named from (`ops batch`)."""
        return f"property-value-batch-{self.stage}-"

    def transform_job(self, stamp: str) -> str:
        """A Batch Transform job's name: at most 63 characters, SageMaker's limit."""
        return f"{self.transform_job_prefix}{stamp}"

    @property
    def artifacts_prefix(self) -> str:
        """Every object the pipeline or a run writes lives under this key prefix."""
        return f"pipelines/{self.pipeline}"

    @property
    def no_champion_key(self) -> str:
        return f"{self.artifacts_prefix}/no-champion/{NO_CHAMPION_MARKER}"


def s3_uri(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"


@dataclass(frozen=True)
class StageTargets:
    """A stage's resources where they live: names plus account, region, bucket, the
    role SageMaker runs as and the model image (each overridable: see `environment`)."""

    names: StageNames
    account: str
    region: str
    bucket: str
    role_arn: str
    image_uri: str

    @classmethod
    def of(
        cls,
        names: StageNames,
        *,
        account: str,
        region: str,
        bucket: str | None = None,
        role_arn: str | None = None,
        image_uri: str | None = None,
    ) -> StageTargets:
        registry = f"{account}.dkr.ecr.{region}.amazonaws.com"
        return cls(
            names=names,
            account=account,
            region=region,
            bucket=bucket or names.bucket,
            role_arn=role_arn or f"arn:aws:iam::{account}:role/{names.sagemaker_role}",
            # By tag here; a deploy serves each version on the image digest it was built
            # with, since a tag moves.
            image_uri=image_uri or f"{registry}/{names.model_image_repository}:{names.stage}",
        )

    @property
    def stage(self) -> str:
        return self.names.stage

    def lambda_arn(self, function: str) -> str:
        name = self.names.function(function)
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{name}"

    @property
    def artifacts_uri(self) -> str:
        return s3_uri(self.bucket, self.names.artifacts_prefix)

    @property
    def train_uri(self) -> str:
        return s3_uri(self.bucket, TRAIN_KEY)

    @property
    def validation_uri(self) -> str:
        return s3_uri(self.bucket, VALIDATION_KEY)

    @property
    def no_champion_uri(self) -> str:
        return s3_uri(self.bucket, self.names.no_champion_key)
