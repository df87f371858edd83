"""Each stage's IAM policies grant exactly what each function calls, on its own names.

The files under .chalice/ are rendered from infra/policies/ (make generate; a test
fails when they are stale); these tests read the rendered files, as Chalice does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalice_app.invoker.service import MARGIN_SECONDS
from contract.environment import DEPLOY_WAIT_SECONDS
from contract.resources import (
    ANALYTICS_SCHEDULE,
    DATA_PREFIX,
    DEPLOY_CALLBACK,
    DEPLOY_WATCH,
    DRIFT_METRICS,
    LAMBDA_FUNCTIONS,
    RECORD_REJECTION,
    ROTATE_API_KEYS,
    TEST_INVOKER,
    StageNames,
)
from devtools.infra import policies
from devtools.infra.stages import aws_stages, settings_of

REPO_ROOT = Path(__file__).resolve().parents[3]
CONFIG = json.loads((REPO_ROOT / ".chalice" / "config.json").read_text())
AWS_STAGES = aws_stages(CONFIG)
# No logs:CreateLogGroup: the functions' stack (or `chalice deploy`) creates each group
# with its retention, and a function that cannot create its own group cannot recreate
# one a stack just deleted (which would collide with the next deploy's).
LOGS = {"logs:CreateLogStream", "logs:PutLogEvents"}
# X-Ray has no resource-level permissions: these two take "*" and nothing else does.
TRACES = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
# Every AWS call the API makes (chalice_app/aws), by the permission it needs.
CALLED = {
    "secretsmanager:GetSecretValue",
    "secretsmanager:DescribeSecret",
    "dynamodb:PutItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:GetItem",
    "dynamodb:UpdateItem",
    "sagemaker:InvokeEndpoint",
    "sagemaker:DescribeEndpoint",
    "sagemaker:DescribeEndpointConfig",
    "sagemaker:DescribeModel",
    "sagemaker:StartPipelineExecution",
    "sagemaker:DescribePipeline",
    "sagemaker:DescribePipelineExecution",
    "sagemaker:ListPipelineExecutionSteps",
    "s3:GetObject",
    "s3:ListBucket",
    "s3:PutObject",  # CopyObject, staging a run's data under its own prefix
}
# What each of the pipeline's functions calls (chalice_app/callbacks); the callback tests
# record the calls each one really makes and check them against these policies too.
ROLLOUT = {
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "sagemaker:DescribeEndpoint",
    "sagemaker:CreateEndpoint",
    "sagemaker:DeleteEndpoint",
    "sagemaker:DeleteEndpointConfig",
    "sagemaker:DeleteModel",
}
# What SageMaker names for the whole account (its jobs' log groups, the job names a
# pipeline makes) and the model image's repository, which every stage's tag shares.
SHARED_BY_THE_STAGES = (
    ":log-group:/aws/sagemaker/TrainingJobs:*",
    ":log-group:/aws/sagemaker/ProcessingJobs:*",
    ":training-job/pipelines-*",
    ":processing-job/pipelines-*",
    f":repository/{StageNames.template().model_image_repository}",
)
# Not a call: without it S3 answers a missing object with 403 AccessDenied, not 404, and
# a run's reason would send operators to IAM instead of the missing evaluation.json.
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html (Permissions)
TELL_MISSING = "s3:ListBucket"
FUNCTION_CALLS = {
    DEPLOY_CALLBACK: ROLLOUT
    | {
        "s3:GetObject",
        TELL_MISSING,
        "sagemaker:CreateModel",
        "sagemaker:CreateEndpointConfig",
        "sagemaker:UpdateEndpoint",
        "iam:PassRole",
    },
    RECORD_REJECTION: {"s3:GetObject", TELL_MISSING, "dynamodb:UpdateItem"},
    DEPLOY_WATCH: ROLLOUT,
    # Secrets Manager's four rotation steps (chalice_app/rotation).
    ROTATE_API_KEYS: {
        "secretsmanager:DescribeSecret",
        "secretsmanager:GetSecretValue",
        "secretsmanager:PutSecretValue",
        "secretsmanager:UpdateSecretVersionStage",
    },
    # It calls the stage's API over HTTP, no AWS API: its logs and traces only. (Where a
    # stage has the ECS front it runs in the VPC, and Lambda needs its network interfaces:
    # NETWORK_INTERFACES, checked on their own below.)
    TEST_INVOKER: set(),
    # chalice_app/analytics: start the nightly jobs as the SageMaker role; read reports.
    ANALYTICS_SCHEDULE: {"sagemaker:CreateProcessingJob", "iam:PassRole"},
    DRIFT_METRICS: {"s3:GetObject", TELL_MISSING},
}
# A SageMaker Lambda step gives up after 10 minutes.
LAMBDA_STEP_LIMIT_SECONDS = 600
# API Gateway gives up on an integration after 29 s: the invoker outwaits it, so a
# gateway timeout comes back as the gateway's answer, not as the invoker's own.
API_GATEWAY_TIMEOUT_SECONDS = 29


# What Lambda needs to attach a function to a VPC (AWSLambdaVPCAccessExecutionRole's
# EC2 actions): granted where the invoker runs in the stage's VPC, denied to its code.
NETWORK_INTERFACES = {
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
}


def _is_network_interfaces(statement: dict[str, Any]) -> bool:
    return set(statement["Action"]) == NETWORK_INTERFACES


def policy(stage: str, function: str | None = None, *, vpc: bool = False) -> dict[str, Any]:
    """The rendered file, without its network interface statements unless `vpc`."""
    config = CONFIG["stages"][stage]
    if function is not None:
        config = config["lambda_functions"][function]
    loaded: dict[str, Any] = json.loads(
        (REPO_ROOT / ".chalice" / config["iam_policy_file"]).read_text()
    )
    if not vpc:
        loaded["Statement"] = [s for s in loaded["Statement"] if not _is_network_interfaces(s)]
    return loaded


def granted(stage: str, function: str | None = None) -> set[str]:
    return {a for s in policy(stage, function)["Statement"] for a in s["Action"]}


def _least_privilege(stage: str, document: dict[str, Any]) -> None:
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        assert not [a for a in statement["Action"] if "*" in a]
        if set(statement["Action"]) == TRACES:
            assert statement["Resource"] == ["*"]
            continue
        for resource in statement["Resource"]:
            # The stage's own resource names; wildcards only for account, region, the
            # secret's random suffix, and items below a named resource.
            assert f"-{stage}" in resource.split(":", 5)[5], resource


def _own_logs(document: dict[str, Any], function_name: str) -> None:
    logs = next(s for s in document["Statement"] if set(s["Action"]) == LOGS)
    assert logs["Resource"] == [f"arn:aws:logs:*:*:log-group:/aws/lambda/{function_name}:*"]


def test_every_deployable_stage_has_its_policies_and_local_does_not_deploy() -> None:
    assert AWS_STAGES == ["dev", "stg", "prd"]
    local = CONFIG["stages"]["local"]["environment_variables"]
    assert local == {"PVP_BACKEND": "local", "PVP_STAGE": "local"}


@pytest.mark.parametrize("stage", AWS_STAGES)
def test_the_stage_runs_the_aws_backend_with_a_least_privilege_policy(stage: str) -> None:
    config = CONFIG["stages"][stage]
    assert config["environment_variables"]["PVP_BACKEND"] == "aws"
    assert config["environment_variables"]["PVP_STAGE"] == stage
    assert config["iam_policy_file"] == policies.chalice_file(stage, policies.API)
    assert granted(stage) - LOGS - TRACES == CALLED
    _least_privilege(stage, policy(stage))
    _own_logs(policy(stage), StageNames(stage).api_function)
    # The API reads only the data prefix: it checks that a run's inputs exist.
    (read,) = [s for s in policy(stage)["Statement"] if "s3:GetObject" in s["Action"]]
    assert read["Resource"] == [f"arn:aws:s3:::{StageNames(stage).bucket}/{DATA_PREFIX}/*"]


@pytest.mark.parametrize("stage", AWS_STAGES)
@pytest.mark.parametrize("function", sorted(FUNCTION_CALLS))
def test_each_pipeline_function_has_its_own_least_privilege_policy(
    stage: str, function: str
) -> None:
    document = policy(stage, function)
    config = CONFIG["stages"][stage]["lambda_functions"][function]
    assert config["iam_policy_file"] == policies.chalice_file(stage, function)

    assert granted(stage, function) - LOGS - TRACES == FUNCTION_CALLS[function]
    _least_privilege(stage, document)
    _own_logs(document, StageNames(stage).function(function))
    for statement in document["Statement"]:
        if "iam:PassRole" in statement["Action"]:  # only to SageMaker, only its role
            assert statement["Condition"] == {
                "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}
            }


@pytest.mark.parametrize("function", [policies.API, *LAMBDA_FUNCTIONS, policies.SAGEMAKER])
def test_under_cloudformation_every_arn_names_the_stack_region_and_account(
    function: str,
) -> None:
    document = policies.for_cloudformation(function)
    for statement in document["Statement"]:
        for resource in statement["Resource"]:
            if resource == "*":  # X-Ray, and ECR's login, take no resource
                assert set(statement["Action"]) in (
                    TRACES,
                    {"ecr:GetAuthorizationToken"},
                    {"cloudwatch:PutMetricData"},  # only to SageMaker's own namespaces
                )
                continue
            arn = resource["Fn::Sub"]
            service = arn.removeprefix("arn:${AWS::Partition}:").split(":")[0]
            if service == "iam":  # IAM names no region
                assert ":iam::${AWS::AccountId}:" in arn, arn
            elif service != "s3":  # S3 ARNs name neither
                assert ":${AWS::Region}:${AWS::AccountId}:" in arn, arn
            if not arn.endswith(SHARED_BY_THE_STAGES):
                assert "${Stage}" in arn, arn


@pytest.mark.parametrize("stage", AWS_STAGES)
@pytest.mark.parametrize("function", [policies.API, *LAMBDA_FUNCTIONS])
def test_only_the_invoker_attaches_to_the_vpc_and_only_where_the_ecs_front_is(
    stage: str, function: str
) -> None:
    name = None if function == policies.API else function
    statements = [
        s for s in policy(stage, name, vpc=True)["Statement"] if _is_network_interfaces(s)
    ]
    if not (function == TEST_INVOKER and settings_of(stage).ecs_front):
        assert statements == []
        return
    allow, deny = statements
    assert (allow["Effect"], allow["Resource"]) == ("Allow", ["*"])
    # Lambda attaches the function with these; its own code may not use them.
    own = f"arn:aws:lambda:*:*:function:{StageNames(stage).function(TEST_INVOKER)}"
    assert deny["Effect"] == "Deny" and set(deny["Action"]) == set(allow["Action"])
    assert deny["Condition"] == {"ArnLike": {"lambda:SourceFunctionArn": own}}


def test_the_ecs_front_is_on_where_the_issue_puts_it() -> None:
    assert [stage for stage in AWS_STAGES if settings_of(stage).ecs_front] == ["stg", "prd"]


def test_under_cloudformation_the_deny_names_the_stacks_own_function() -> None:
    document = policies.for_cloudformation(TEST_INVOKER, policies.NETWORK_INTERFACES)
    (deny,) = [s for s in document["Statement"] if s["Effect"] == "Deny"]
    arn = deny["Condition"]["ArnLike"]["lambda:SourceFunctionArn"]["Fn::Sub"]
    assert arn == (
        "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"
        + StageNames.template().function(TEST_INVOKER)
    )


@pytest.mark.parametrize("stage", AWS_STAGES)
def test_the_test_invoker_outwaits_api_gateway(stage: str) -> None:
    timeout = CONFIG["stages"][stage]["lambda_functions"][TEST_INVOKER]["lambda_timeout"]
    assert timeout - MARGIN_SECONDS > API_GATEWAY_TIMEOUT_SECONDS


@pytest.mark.parametrize("stage", AWS_STAGES)
def test_the_deploy_callback_returns_before_the_lambda_step_gives_up(stage: str) -> None:
    functions = CONFIG["stages"][stage]["lambda_functions"]
    assert set(functions) == set(FUNCTION_CALLS)
    timeout = functions[DEPLOY_CALLBACK]["lambda_timeout"]
    assert DEPLOY_WAIT_SECONDS.default < timeout < LAMBDA_STEP_LIMIT_SECONDS


def _policies() -> list[tuple[str, str | None]]:
    every: list[tuple[str, str | None]] = []
    for stage in AWS_STAGES:
        functions = CONFIG["stages"][stage]["lambda_functions"]
        every += [(stage, None), *((stage, name) for name in sorted(functions))]
    return every


@pytest.mark.parametrize(("stage", "function"), _policies())
def test_every_role_that_reads_objects_tells_a_missing_one_from_a_forbidden_one(
    stage: str, function: str | None
) -> None:
    statements = policy(stage, function)["Statement"]
    buckets = {
        resource.split("/", 1)[0]
        for s in statements
        if "s3:GetObject" in s["Action"]
        for resource in s["Resource"]
    }
    listable = {r for s in statements if TELL_MISSING in s["Action"] for r in s["Resource"]}
    assert buckets <= listable, f"{stage} {function}: s3:ListBucket missing on {buckets}"
