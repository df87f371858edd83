"""Creates the AWS backend's resources on moto, with the project's own table schemas.

On AWS, CloudFormation creates them; here one call makes a stage usable: the secret
(one key), both tables, the bucket with the training data at its default keys, the
pipeline, and the endpoint (a model carrying its version, a serverless config).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chalice_app import constants as c
from chalice_app.aws import prediction_log, runs
from chalice_app.aws.clients import AwsClients
from chalice_app.config import AwsSettings

ROLE_ARN = "arn:aws:iam::123456789012:role/property-value-predictor-sagemaker"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/property-value-predictor-model:latest"


def create_pipeline(sagemaker: Any, settings: AwsSettings) -> str:
    """A stand-in pipeline with the parameters /start_training fills.

    The real definition comes from training_pipeline/sagemaker (in progress); swap this
    body for its `get_pipeline(...).definition()` when it lands.
    """
    definition = {
        "Version": "2020-12-01",
        "Parameters": [
            {"Name": c.PIPELINE_TRAIN_PARAMETER, "Type": "String"},
            {"Name": c.PIPELINE_VALIDATION_PARAMETER, "Type": "String"},
        ],
        "Steps": [],
    }
    answer = sagemaker.create_pipeline(
        PipelineName=settings.pipeline_name,
        PipelineDefinition=json.dumps(definition),
        RoleArn=ROLE_ARN,
    )
    return str(answer["PipelineArn"])


def create_endpoint(sagemaker: Any, settings: AwsSettings, model_version: str) -> None:
    model_name = f"property-value-regressor-{settings.stage}-{model_version}"
    sagemaker.create_model(
        ModelName=model_name,
        PrimaryContainer={"Image": IMAGE, "Environment": {c.MODEL_VERSION_ENV: model_version}},
        ExecutionRoleArn=ROLE_ARN,
    )
    config = f"{model_name}-config"
    sagemaker.create_endpoint_config(
        EndpointConfigName=config,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": model_name,
                "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5},
            }
        ],
    )
    sagemaker.create_endpoint(EndpointName=settings.endpoint_name, EndpointConfigName=config)


def _bucket_and_key(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def provision(
    clients: AwsClients, settings: AwsSettings, *, key: str, sample: Path, model_version: str
) -> None:
    clients.get("secretsmanager").create_secret(
        Name=settings.secret_name, SecretString=json.dumps({"default": key})
    )
    dynamodb = clients.get("dynamodb")
    dynamodb.create_table(TableName=settings.prediction_table, **prediction_log.TABLE_SCHEMA)
    dynamodb.create_table(TableName=settings.run_table, **runs.TABLE_SCHEMA)
    s3 = clients.get("s3")
    s3.create_bucket(Bucket=settings.bucket)
    for uri, name in [
        (settings.train_uri, c.TRAIN_FILENAME),
        (settings.validation_uri, c.VALIDATION_FILENAME),
    ]:
        bucket, object_key = _bucket_and_key(uri)
        s3.upload_file(str(sample / name), bucket, object_key)
    sagemaker = clients.get("sagemaker")
    create_pipeline(sagemaker, settings)
    create_endpoint(sagemaker, settings, model_version)
