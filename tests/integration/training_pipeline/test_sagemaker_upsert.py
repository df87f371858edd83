"""`sagemaker upsert` against moto (in process): create, then update, the stage's pipeline."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from devtools.moto_resources import push_model_image
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


def _bucket_for(session: boto3.Session, stage: str, build: str = "first") -> str:
    """The stage's bucket, and its model image pushed (what a deploy does before upsert)."""
    bucket = resolve_targets(stage).bucket
    session.client("s3").create_bucket(Bucket=bucket)
    push_model_image(session.client("ecr"), resolve_targets(stage), build)
    return bucket


def _images(definition_text: str) -> set[str]:
    """Every model image a definition names: its jobs', its model's and its events'."""
    found = re.findall(r'"(\d{12}\.dkr\.ecr\.[^"]+)"', definition_text)
    return set(found)


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
    pinned = replace(targets, image_uri=first.image_uri)
    assert json.loads(described["PipelineDefinition"]) == json.loads(definition(pinned))
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


def test_upsert_pins_the_model_image_by_digest_and_follows_the_tag_when_it_moves(
    aws: boto3.Session,
) -> None:
    targets = resolve_targets("dev")
    _bucket_for(aws, "dev", build="monday")
    sagemaker = aws.client("sagemaker")

    first = upsert(targets, aws)
    monday = sagemaker.describe_pipeline(PipelineName=targets.names.pipeline)
    # WHEN a new image is pushed with the stage's tag AND the pipeline upserted again
    tuesday_digest = push_model_image(aws.client("ecr"), targets, "tuesday")
    second = upsert(targets, aws)
    tuesday = sagemaker.describe_pipeline(PipelineName=targets.names.pipeline)

    # THEN each definition names one image, by its digest, everywhere (jobs, registered
    # model, the callbacks' event): the tag's image at the time of the upsert
    repository = targets.image_uri.rsplit(":", 1)[0]
    assert _images(monday["PipelineDefinition"]) == {first.image_uri}
    assert _images(tuesday["PipelineDefinition"]) == {f"{repository}@{tuesday_digest}"}
    assert first.image_uri != second.image_uri and "@sha256:" in first.image_uri


def test_an_image_not_pushed_yet_is_a_clear_error(
    aws: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    aws.client("s3").create_bucket(Bucket=resolve_targets("dev").bucket)
    aws.client("ecr").create_repository(repositoryName="property-value-predictor-training")

    code = main(["sagemaker", "upsert", "--stage", "dev"])

    err = capsys.readouterr().err
    assert code == 1 and "property-value-predictor-training:dev by digest" in err
    assert "push it first" in err and "Traceback" not in err
    assert aws.client("sagemaker").list_pipelines()["PipelineSummaries"] == []


def test_a_missing_bucket_is_a_clear_error(
    aws: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    push_model_image(aws.client("ecr"), resolve_targets("prd"), "first")

    code = main(["sagemaker", "upsert", "--stage", "prd"])

    err = capsys.readouterr().err
    assert code == 1
    assert "upsert of property-evaluator-training-prd failed" in err
    assert "NoSuchBucket" in err
    assert "Traceback" not in err
    names = aws.client("sagemaker").list_pipelines()["PipelineSummaries"]
    assert names == []


def test_an_image_given_by_digest_stays_and_one_outside_ecr_is_refused() -> None:
    from training_pipeline.errors import PipelineError
    from training_pipeline.sagemaker.images import pinned

    by_digest = f"{MOTO_ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/repo@sha256:{'a' * 64}"
    assert pinned(by_digest, ecr=None) == by_digest
    with pytest.raises(PipelineError, match="not an ECR image"):
        pinned("docker.io/library/python:3.12", ecr=None)
