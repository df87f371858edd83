"""Each stage's IAM policy grants exactly what the AWS adapters call, on its own names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
CONFIG = json.loads((REPO_ROOT / ".chalice" / "config.json").read_text())
# Every AWS call the API makes (chalice_app/aws), by the permission it needs.
CALLED = {
    "secretsmanager:GetSecretValue",
    "dynamodb:PutItem",
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


@pytest.mark.parametrize("stage", sorted(CONFIG["stages"]))
def test_the_stage_runs_the_aws_backend_with_a_least_privilege_policy(stage: str) -> None:
    config = CONFIG["stages"][stage]
    assert config["environment_variables"]["PVP_BACKEND"] == "aws"
    assert config["environment_variables"]["PVP_STAGE"] == stage
    policy = json.loads((REPO_ROOT / ".chalice" / config["iam_policy_file"]).read_text())
    actions = {a for s in policy["Statement"] for a in s["Action"]}
    assert not [a for a in actions if "*" in a]
    assert actions - {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"} == CALLED
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        for resource in statement["Resource"]:
            # The stage's own resource names; wildcards only for account, region, the
            # secret's random suffix, and items below a named resource.
            assert f"-{stage}" in resource.split(":", 5)[5], resource
