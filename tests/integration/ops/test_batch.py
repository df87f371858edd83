"""`python -m ops batch` and `runs`: a Batch Transform job on the model the stage's
endpoint serves. moto records a transform job but runs nothing (it is Completed at
once, writes no output): the exact request is held by botocore's Stubber, and what the
container does with the job's lines is tested on the model server process
(tests/integration/training_pipeline/test_model_server.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from chalice_app.aws.clients import AwsClients
from chalice_app.aws.run_table import TABLE_SCHEMA as RUN_TABLE_SCHEMA
from chalice_app.config import AwsSettings, load_aws_settings
from devtools.moto_resources import create_pipeline
from ops.batch import start_batch
from ops.cli import main

ENV = {"AWS_REGION": "us-east-1", "PVP_STAGE": "dev"}
STAMP = "20261207T120000-0a1b"
MODEL = "property-value-regressor-dev-v0003"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsSettings]:
    from moto import mock_aws

    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {**ENV, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}.items():
        monkeypatch.setenv(name, value)
    settings = load_aws_settings(ENV)
    with mock_aws():
        s3 = AwsClients(settings).get("s3")
        s3.create_bucket(Bucket=settings.bucket)
        s3.put_object(Bucket=settings.bucket, Key="batch/in.csv", Body=b"casa,...\n")
        yield settings


def _serve(settings: AwsSettings) -> None:
    """What a deploy leaves on the stage: a model, its config, the endpoint."""
    sagemaker = AwsClients(settings).get("sagemaker")
    sagemaker.create_model(
        ModelName=MODEL,
        PrimaryContainer={
            "Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/model@sha256:" + "0" * 64,
            "ModelDataUrl": f"s3://{settings.bucket}/models/v0003/model.tar.gz",
            "Environment": {"PVP_MODEL_VERSION": "v0003"},
        },
        ExecutionRoleArn="arn:aws:iam::123456789012:role/sagemaker",
    )
    variant = {"VariantName": "AllTraffic", "ModelName": MODEL}
    sagemaker.create_endpoint_config(
        EndpointConfigName=MODEL,
        ProductionVariants=[
            {**variant, "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5}}
        ],
    )
    sagemaker.create_endpoint(EndpointName=settings.endpoint_name, EndpointConfigName=MODEL)


def test_the_job_request_is_exactly_the_batch_transform_we_mean(aws: AwsSettings) -> None:
    from botocore.stub import Stubber

    clients = AwsClients(aws)
    sagemaker = clients.get("sagemaker")
    now = datetime.now(UTC)
    with Stubber(sagemaker) as stub:
        endpoint = {"EndpointName": aws.endpoint_name}
        stub.add_response(
            "describe_endpoint",
            {
                **endpoint,
                "EndpointArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint/e",
                "EndpointConfigName": MODEL,
                "EndpointStatus": "InService",
                "CreationTime": now,
                "LastModifiedTime": now,
            },
            endpoint,
        )
        stub.add_response(
            "describe_endpoint_config",
            {
                "EndpointConfigName": MODEL,
                "EndpointConfigArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/c",
                "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": MODEL}],
                "CreationTime": now,
            },
            {"EndpointConfigName": MODEL},
        )
        stub.add_response(
            "describe_model",
            {
                "ModelName": MODEL,
                "ModelArn": "arn:aws:sagemaker:us-east-1:123456789012:model/m",
                "PrimaryContainer": {"Environment": {"PVP_MODEL_VERSION": "v0003"}},
                "CreationTime": now,
            },
            {"ModelName": MODEL},
        )
        stub.add_response(
            "create_transform_job",
            {"TransformJobArn": "arn:aws:sagemaker:us-east-1:123456789012:transform-job/j"},
            {
                "TransformJobName": f"property-value-batch-dev-{STAMP}",
                "ModelName": MODEL,
                "BatchStrategy": "MultiRecord",
                "MaxPayloadInMB": 4,
                "MaxConcurrentTransforms": 1,
                "TransformInput": {
                    "DataSource": {
                        "S3DataSource": {
                            "S3DataType": "S3Prefix",
                            "S3Uri": f"s3://{aws.bucket}/batch/in.csv",
                        }
                    },
                    "ContentType": "text/csv",
                    "SplitType": "Line",
                    "CompressionType": "None",
                },
                "TransformOutput": {
                    "S3OutputPath": f"s3://{aws.bucket}/batch/out/",
                    "Accept": "text/csv",
                    "AssembleWith": "Line",
                },
                "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
                "DataProcessing": {
                    "InputFilter": "$[0,1,2,3,4,5,6,7]",
                    "JoinSource": "Input",
                    "OutputFilter": "$",
                },
            },
        )
        job = start_batch(
            aws,
            clients,
            f"s3://{aws.bucket}/batch/in.csv",
            f"s3://{aws.bucket}/batch/out/",
            "ml.m5.large",
            STAMP,
        )
        stub.assert_no_pending_responses()
    assert job.model == MODEL and job.version == "v0003"
    assert job.output == f"s3://{aws.bucket}/batch/out/in.csv.out"


def test_batch_starts_a_job_that_runs_lists(
    aws: AwsSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    _serve(aws)
    source = f"s3://{aws.bucket}/batch/in.csv"
    assert (
        main(["batch", "--stage", "dev", "--input", source, "--output", f"s3://{aws.bucket}/o"])
        == 0
    )
    started, output = capsys.readouterr().out.splitlines()
    name = started.split()[1]
    assert started == f"started {name} with {MODEL} (v0003)"
    assert name.startswith("property-value-batch-dev-") and len(name) <= 63
    assert output == f"output: s3://{aws.bucket}/o/in.csv.out"
    job = AwsClients(aws).get("sagemaker").describe_transform_job(TransformJobName=name)
    assert job["ModelName"] == MODEL
    # `runs --stage` lists it after the training runs (none here)
    clients = AwsClients(aws)
    create_pipeline(clients.get("sagemaker"), aws)
    clients.get("dynamodb").create_table(TableName=aws.run_table, **RUN_TABLE_SCHEMA)
    assert main(["runs", "--stage", "dev"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert line.split()[:3] == [name, "Completed", "batch"]  # moto's jobs end at once


@pytest.mark.parametrize(
    ("objects", "given", "error"),
    [
        ([], "s3://{bucket}/batch/none.csv", "--input: no such object"),
        (["batch/in.csv.bak"], "s3://{bucket}/batch/in.csv", "also names s3://"),
        ([], "s3://{bucket}/batch/", "--input: must name one object"),
        ([], "https://example.com/in.csv", "--input: must be an s3:// URI"),
    ],
)
def test_an_input_that_is_not_exactly_one_object_is_refused(
    aws: AwsSettings,
    capsys: pytest.CaptureFixture[str],
    objects: list[str],
    given: str,
    error: str,
) -> None:
    _serve(aws)
    s3 = AwsClients(aws).get("s3")
    for key in objects:
        s3.put_object(Bucket=aws.bucket, Key=key, Body=b"")
    source = given.format(bucket=aws.bucket)
    assert (
        main(["batch", "--stage", "dev", "--input", source, "--output", f"s3://{aws.bucket}/o"])
        == 1
    )
    assert error in capsys.readouterr().err
    assert AwsClients(aws).get("sagemaker").list_transform_jobs()["TransformJobSummaries"] == []


def test_a_stage_without_an_endpoint_says_so(
    aws: AwsSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    source = f"s3://{aws.bucket}/batch/in.csv"
    assert (
        main(["batch", "--stage", "dev", "--input", source, "--output", f"s3://{aws.bucket}/o"])
        == 1
    )
    assert f"endpoint {aws.endpoint_name} does not exist" in capsys.readouterr().err
