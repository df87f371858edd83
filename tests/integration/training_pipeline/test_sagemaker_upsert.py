"""`sagemaker upsert` against moto (in process): create, then update, the stage's pipeline."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from training_pipeline.cli import main
from training_pipeline.sagemaker.harness import NO_CHAMPION_TEXT, definition, upsert
from training_pipeline.sagemaker.targets import resolve_targets

REGION = "us-east-1"
MOTO_ACCOUNT = "123456789012"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "PVP_AWS_ACCOUNT_ID", "PVP_BUCKET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield boto3.Session(region_name=REGION)


def _bucket_for(session: boto3.Session, stage: str) -> str:
    bucket = resolve_targets(stage).bucket
    session.client("s3").create_bucket(Bucket=bucket)
    return bucket


@pytest.mark.slow
def test_upsert_creates_then_updates_the_pipeline(aws: boto3.Session) -> None:
    # GIVEN the stage's bucket, and nothing else
    targets = resolve_targets("dev")
    bucket = _bucket_for(aws, "dev")
    sagemaker = aws.client("sagemaker")

    # WHEN upserting twice
    first = upsert(targets, aws)
    second = upsert(targets, aws)

    # THEN the first creates and the second updates the same pipeline, with this definition
    assert first.created and not second.created
    assert first.pipeline_arn == second.pipeline_arn
    described = sagemaker.describe_pipeline(PipelineName="property-evaluator-training-dev")
    assert described["PipelineArn"] == first.pipeline_arn
    assert described["RoleArn"] == targets.role_arn
    assert json.loads(described["PipelineDefinition"]) == json.loads(definition(targets))
    # AND the Model Package Group and the first run's "no champion" marker exist
    group = sagemaker.describe_model_package_group(
        ModelPackageGroupName="property-value-regressor-dev"
    )
    assert group["ModelPackageGroupName"] == "property-value-regressor-dev"
    marker = aws.client("s3").get_object(Bucket=bucket, Key=targets.names.no_champion_key)
    assert marker["Body"].read().decode() == NO_CHAMPION_TEXT


def test_the_cli_takes_the_account_from_sts(
    aws: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    _bucket_for(aws, "stg")

    code = main(["sagemaker", "upsert", "--stage", "stg"])

    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("created arn:aws:sagemaker:us-east-1:")
    described: dict[str, Any] = aws.client("sagemaker").describe_pipeline(
        PipelineName="property-evaluator-training-stg"
    )
    lambda_arns = [
        step["FunctionArn"]
        for step in json.loads(described["PipelineDefinition"])["Steps"][2]["Arguments"]["IfSteps"]
        if step["Type"] == "Lambda"
    ]
    assert lambda_arns == [
        f"arn:aws:lambda:{REGION}:{MOTO_ACCOUNT}:function:property-value-predictor-stg-deploy_callback"
    ]


def test_a_missing_bucket_is_a_clear_error(
    aws: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["sagemaker", "upsert", "--stage", "prd"])

    err = capsys.readouterr().err
    assert code == 1
    assert "upsert of property-evaluator-training-prd failed" in err
    assert "NoSuchBucket" in err
    assert "Traceback" not in err
    names = aws.client("sagemaker").list_pipelines()["PipelineSummaries"]
    assert names == []
