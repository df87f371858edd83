"""Each stage's IAM policies grant exactly what each function calls, on its own names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalice_app.invoker.service import MARGIN_SECONDS
from contract.environment import DEPLOY_WAIT_SECONDS
from contract.resources import (
    DEPLOY_CALLBACK,
    DEPLOY_WATCH,
    RECORD_REJECTION,
    TEST_INVOKER,
    StageNames,
)

REPO_ROOT = Path(__file__).resolve().parents[3]
CONFIG = json.loads((REPO_ROOT / ".chalice" / "config.json").read_text())
LOGS = {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}
# Every AWS call the API makes (chalice_app/aws), by the permission it needs.
CALLED = {
    "secretsmanager:GetSecretValue",
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
FUNCTION_CALLS = {
    DEPLOY_CALLBACK: ROLLOUT
    | {
        "s3:GetObject",
        "sagemaker:CreateModel",
        "sagemaker:CreateEndpointConfig",
        "sagemaker:UpdateEndpoint",
        "iam:PassRole",
    },
    RECORD_REJECTION: {"s3:GetObject", "dynamodb:UpdateItem"},
    DEPLOY_WATCH: ROLLOUT,
}
# A SageMaker Lambda step gives up after 10 minutes.
LAMBDA_STEP_LIMIT_SECONDS = 600
# What Lambda calls with a function's role to attach it to a VPC (the Lambda developer
# guide, "Required IAM permissions"; AWSLambdaVPCAccessExecutionRole v3 without logs).
# DescribeNetworkInterfaces works only on "*"; the subnets are the stack's.
NETWORK_INTERFACES = {
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
}
# The stages whose invoker runs in the VPC (the stages with the ECS front): dev is
# Lambda-only by default, and its invoker calls API Gateway from outside any VPC.
INVOKER_IN_VPC = {"dev": False, "stg": True, "prd": True}
# API Gateway gives up on an integration after 29 s: the invoker outwaits it, so a
# gateway timeout comes back as the gateway's answer, not as the invoker's own.
API_GATEWAY_TIMEOUT_SECONDS = 29


def policy(stage: str, function: str | None = None) -> dict[str, Any]:
    config = CONFIG["stages"][stage]
    if function is not None:
        config = config["lambda_functions"][function]
    loaded: dict[str, Any] = json.loads(
        (REPO_ROOT / ".chalice" / config["iam_policy_file"]).read_text()
    )
    return loaded


def granted(stage: str, function: str | None = None) -> set[str]:
    return {a for s in policy(stage, function)["Statement"] for a in s["Action"]}


def _least_privilege(stage: str, document: dict[str, Any]) -> None:
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        assert not [a for a in statement["Action"] if "*" in a]
        for resource in statement["Resource"]:
            # The stage's own resource names; wildcards only for account, region, the
            # secret's random suffix, and items below a named resource.
            assert f"-{stage}" in resource.split(":", 5)[5], resource


@pytest.mark.parametrize("stage", sorted(CONFIG["stages"]))
def test_the_stage_runs_the_aws_backend_with_a_least_privilege_policy(stage: str) -> None:
    config = CONFIG["stages"][stage]
    assert config["environment_variables"]["PVP_BACKEND"] == "aws"
    assert config["environment_variables"]["PVP_STAGE"] == stage
    assert granted(stage) - LOGS == CALLED
    _least_privilege(stage, policy(stage))


@pytest.mark.parametrize("stage", sorted(CONFIG["stages"]))
@pytest.mark.parametrize("function", sorted(FUNCTION_CALLS))
def test_each_pipeline_function_has_its_own_least_privilege_policy(
    stage: str, function: str
) -> None:
    document = policy(stage, function)

    assert granted(stage, function) - LOGS == FUNCTION_CALLS[function]
    _least_privilege(stage, document)
    logs = next(s for s in document["Statement"] if set(s["Action"]) == LOGS)
    assert all(f"property-value-predictor-{stage}-{function}" in r for r in logs["Resource"])
    for statement in document["Statement"]:
        if "iam:PassRole" in statement["Action"]:  # only to SageMaker, only its role
            assert statement["Condition"] == {
                "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}
            }


@pytest.mark.parametrize("stage", sorted(CONFIG["stages"]))
def test_the_test_invoker_may_touch_nothing_but_its_logs_and_network_interfaces(
    stage: str,
) -> None:
    document = policy(stage, TEST_INVOKER)
    function = StageNames(stage).function(TEST_INVOKER)
    logs, *network = document["Statement"]

    assert (logs["Effect"], set(logs["Action"])) == ("Allow", LOGS)
    assert all(f"/aws/lambda/{function}" in r for r in logs["Resource"])
    if not INVOKER_IN_VPC[stage]:
        assert network == []
        return
    allowed, denied = network
    # Lambda attaches the function with these; its own code may not use them.
    assert (allowed["Effect"], set(allowed["Action"])) == ("Allow", NETWORK_INTERFACES)
    assert (denied["Effect"], set(denied["Action"])) == ("Deny", NETWORK_INTERFACES)
    assert allowed["Resource"] == denied["Resource"] == ["*"]
    assert "Condition" not in allowed
    source = denied["Condition"]["ArnLike"]["lambda:SourceFunctionArn"]
    assert source == f"arn:aws:lambda:*:*:function:{function}"


@pytest.mark.parametrize("stage", sorted(CONFIG["stages"]))
def test_the_test_invoker_outwaits_api_gateway(stage: str) -> None:
    timeout = CONFIG["stages"][stage]["lambda_functions"][TEST_INVOKER]["lambda_timeout"]
    assert timeout - MARGIN_SECONDS > API_GATEWAY_TIMEOUT_SECONDS


@pytest.mark.parametrize("stage", sorted(CONFIG["stages"]))
def test_the_deploy_callback_returns_before_the_lambda_step_gives_up(stage: str) -> None:
    functions = CONFIG["stages"][stage]["lambda_functions"]
    assert set(functions) == set(FUNCTION_CALLS) | {TEST_INVOKER}
    timeout = functions[DEPLOY_CALLBACK]["lambda_timeout"]
    assert DEPLOY_WAIT_SECONDS.default < timeout < LAMBDA_STEP_LIMIT_SECONDS
