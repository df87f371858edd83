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
# The analytics functions: a schedule that starts the day's export and drift jobs, and
# the one that turns a finished drift job's report into metrics (EMF needs a Lambda's
# log pipeline: a processing job's output is not read for EMF).
ANALYTICS_SCHEDULE: Final = "analytics_schedule"
DRIFT_METRICS: Final = "drift_metrics"

# The prediction log as data, in the stage's bucket: one Parquet object per UTC day
# under `{PREDICTIONS_EXPORT_PREFIX}/day=YYYY-MM-DD/` (the Glue table's partitions), and
# the drift jobs' reports.
ANALYTICS_PREFIX: Final = "analytics"
PREDICTIONS_EXPORT_PREFIX: Final = f"{ANALYTICS_PREFIX}/predictions"
DRIFT_REPORT_PREFIX: Final = f"{ANALYTICS_PREFIX}/drift"
# The Glue table over the export, in the stage's `analytics_database`, and where its
# Athena workgroup keeps query results.
PREDICTIONS_GLUE_TABLE: Final = "predictions"
ATHENA_RESULTS_PREFIX: Final = f"{ANALYTICS_PREFIX}/athena"
# The analytics jobs, by kind (a processing job's name says which it is).
EXPORT_JOB: Final = "export"
DRIFT_JOB: Final = "drift"
# The drift metrics (in METRICS_NAMESPACE): each feature's PSI (dimension `feature`),
# and how many features are past the drift band, which the alarm watches.
FEATURE_PSI_METRIC: Final = "feature_psi"
DRIFTED_FEATURES_METRIC: Final = "drifted_features"
FEATURE_DIMENSION: Final = "feature"

# Every `@app.lambda_function`/schedule of the app, as Chalice names them.
LAMBDA_FUNCTIONS: Final = (
    DEPLOY_CALLBACK,
    RECORD_REJECTION,
    DEPLOY_WATCH,
    ROTATE_API_KEYS,
    TEST_INVOKER,
    ANALYTICS_SCHEDULE,
    DRIFT_METRICS,
)
# The API keys secret is a JSON object {client name: key}; a new stage's first key is
# generated under this client name.
FIRST_CLIENT: Final = "default"
# The epoch-seconds attribute DynamoDB's TTL reads in both tables: an item that carries
# it expires (the run table's idempotency items); one without it never does. The
# prediction log's TTL is off until its retention is decided.
TTL_ATTRIBUTE: Final = "expires_at"
# The account-wide stack (image repositories, API Gateway's logging role): every stage of
# an account shares it.
ACCOUNT_STACK: Final = f"{APP_NAME}-account"
# How CloudFormation templates spell the stage: their `Stage` parameter, inside Fn::Sub.
TEMPLATE_STAGE: Final = "${Stage}"
# The delivery pipeline's stack (one per account, like the account stack): CodePipeline,
# its artifact bucket and the stages' CodeBuild projects (infra/pipeline.yaml).
DELIVERY_STACK: Final = f"{APP_NAME}-delivery"
DELIVERY_PIPELINE: Final = f"{APP_NAME}-delivery"
# Liveness and readiness: what the load balancer checks (liveness: a task is killed when
# it fails, so it must not depend on the endpoint or AWS), and what says the API prices.
LIVENESS_PATH: Final = "/live"
READINESS_PATH: Final = "/ping"

# The stage bucket's data: the old system's locations, the API's default training data.
# The API may read only below DATA_PREFIX (its policy says so).
DATA_PREFIX: Final = "data"
TRAIN_KEY: Final = f"{DATA_PREFIX}/training_data/train.csv"
VALIDATION_KEY: Final = f"{DATA_PREFIX}/validation_data/test.csv"
# A champion input must name an S3 object; this one says "no champion yet".
NO_CHAMPION_MARKER: Final = "NO_CHAMPION"
# The serverless endpoint's one production variant (the deploy names it; the endpoint's
# own metrics carry it as their VariantName dimension).
ENDPOINT_VARIANT: Final = "AllTraffic"
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

    @property
    def proxy_image_repository(self) -> str:
        """The ECS proxy's image (shared by the stages, tagged per stage, like the model's)."""
        return f"{APP_NAME}-proxy"

    @property
    def stage_prefix(self) -> str:
        """What the names of the stage's functions, stacks and the roles CloudFormation
        names after them start with (the delivery roles grant by it)."""
        return f"{APP_NAME}-{self.stage}-"

    @property
    def log_router_image_repository(self) -> str:
        """AWS's Fluent Bit image, mirrored for the ECS tasks' log router (FireLens)."""
        return f"{APP_NAME}-log-router"

    def function(self, name: str) -> str:
        """A Chalice Lambda function's deployed name."""
        return f"{APP_NAME}-{self.stage}-{name}"

    def analytics_job_prefix(self, kind: str) -> str:
        """What every processing job of this kind (EXPORT_JOB, DRIFT_JOB) starts with."""
        return f"{APP_NAME}-{self.stage}-{kind}-"

    def analytics_job(self, kind: str, stamp: str) -> str:
        """A processing job's name: 63 characters at most, unique per account and region
        for ever (SageMaker refuses a name used before), hence the start time `stamp`
        (YYMMDDhhmmss: 61 characters with a 16-character stage)."""
        return f"{self.analytics_job_prefix(kind)}{stamp}"

    def drift_report_key(self, job: str) -> str:
        """Where drift job `job` writes its report (the metrics function reads it there)."""
        return f"{DRIFT_REPORT_PREFIX}/{job}.json"

    @property
    def analytics_database(self) -> str:
        """The Glue database of the stage's analytics tables (Athena wants no hyphens)."""
        return f"{APP_NAME}_{self.stage}".replace("-", "_")

    @property
    def analytics_workgroup(self) -> str:
        return f"{APP_NAME}-{self.stage}-analytics"

    @property
    def drift_alarm(self) -> str:
        return f"{APP_NAME}-{self.stage}-input-drift"

    @property
    def api_function(self) -> str:
        """The API handler's deployed name (`chalice deploy` names it after app and stage)."""
        return f"{APP_NAME}-{self.stage}"

    @property
    def layer(self) -> str:
        """The shared dependencies layer every function of the stage references."""
        return f"{APP_NAME}-{self.stage}-dependencies"

    @property
    def data_stack(self) -> str:
        """The CloudFormation stack of what outlives deploys (bucket, tables, secret...)."""
        return f"{APP_NAME}-{self.stage}-data"

    @property
    def functions_stack(self) -> str:
        """The CloudFormation stack of the Chalice app (functions, API, their log groups)."""
        return f"{APP_NAME}-{self.stage}"

    @property
    def deploy_project(self) -> str:
        """The CodeBuild project that tests, packages and deploys the stage (buildspec.yml)."""
        return f"{APP_NAME}-{self.stage}-deploy"

    @property
    def smoke_project(self) -> str:
        """The CodeBuild project that runs the test invoker's events against the stage."""
        return f"{APP_NAME}-{self.stage}-smoke"

    @property
    def network_stack(self) -> str:
        """The stage's VPC, its endpoints and the internal ALB (stages with the ECS front)."""
        return f"{APP_NAME}-{self.stage}-network"

    @property
    def ecs_stack(self) -> str:
        """The ECS cluster, the proxy's task definition and service (the ECS front)."""
        return f"{APP_NAME}-{self.stage}-ecs"

    @property
    def alarms_stack(self) -> str:
        """The stage's alarms, their SNS topic and its dashboard."""
        return f"{APP_NAME}-{self.stage}-alarms"

    @property
    def analytics_stack(self) -> str:
        """The prediction log's Glue table, Athena workgroup and drift alarm."""
        return f"{APP_NAME}-{self.stage}-analytics"

    def export(self, name: str) -> str:
        """A stack output other stacks of the stage import (Fn::ImportValue)."""
        return f"{APP_NAME}-{self.stage}-{name}"

    @property
    def ecs_cluster(self) -> str:
        return f"{APP_NAME}-{self.stage}"

    @property
    def ecs_service(self) -> str:
        """The ECS front's service and its task definition family (the old names)."""
        return f"{APP_NAME}-api-{self.stage}"

    @property
    def ecs_log_group(self) -> str:
        """The tasks' log group: the old system's name."""
        return f"/aws/ecs/{APP_NAME}-api-{self.stage}"

    @property
    def alarm_topic(self) -> str:
        return f"{APP_NAME}-{self.stage}-alarms"

    def alarm(self, what: str) -> str:
        return f"{APP_NAME}-{self.stage}-{what}"

    @property
    def dashboard(self) -> str:
        return f"{APP_NAME}-{self.stage}"

    @classmethod
    def template(cls) -> StageNames:
        """The names with the stage left as CloudFormation's `${Stage}` (inside Fn::Sub)."""
        names = object.__new__(cls)
        object.__setattr__(names, "stage", TEMPLATE_STAGE)  # the one name not checked
        return names

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
    def inputs_prefix(self) -> str:
        """Each run's copies of its data, under its own key prefix (the launcher stages
        them so a job reads exactly the files it was given)."""
        return f"{self.artifacts_prefix}/inputs"

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
            # By tag here; `upsert` pins it by digest (training_pipeline/sagemaker/
            # images.py), so each version is served by the image that trained it.
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
