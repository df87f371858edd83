"""Each stage's IAM policies grant exactly what each function calls, on its own names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from contract.environment import DEPLOY_WAIT_SECONDS
from contract.resources import DEPLOY_CALLBACK, DEPLOY_WATCH, RECORD_REJECTION

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
def test_the_deploy_callback_returns_before_the_lambda_step_gives_up(stage: str) -> None:
    functions = CONFIG["stages"][stage]["lambda_functions"]
    assert set(functions) == set(FUNCTION_CALLS)
    timeout = functions[DEPLOY_CALLBACK]["lambda_timeout"]
    assert DEPLOY_WAIT_SECONDS.default < timeout < LAMBDA_STEP_LIMIT_SECONDS
