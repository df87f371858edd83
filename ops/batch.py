"""`batch --stage S --input s3://... --output s3://...`: a CSV in S3 priced by SageMaker
Batch Transform, with the model the stage's endpoint serves.

The job runs the model image's `serve` (training_pipeline/model_server.py) on the
SageMaker Model the endpoint's config serves: the same image, model.tar.gz and version,
so a file is priced as the API prices. Locally, `python -m training_pipeline predict
--input F --output G` is the equivalent and writes the same columns.

The input is one CSV object whose first columns are the model's, in the training data's
order (`type,sector,net_usable_area,net_area,n_rooms,n_bathroom,latitude,longitude`),
with or without a header; more columns may follow (a price, an id). SageMaker reads it
as lines (SplitType=Line), sends the model's columns only (InputFilter) and joins each
answer line to its whole input line (JoinSource=Input): the output object
`{output}/{file name}.out` is the input with predicted_price, predicted_price_low,
predicted_price_high and prediction_error appended
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTransformJob.html,
https://docs.aws.amazon.com/sagemaker/latest/dg/batch-transform-data-processing.html).
"""

from __future__ import annotations

import argparse
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ops.errors import OperatorError

INSTANCE_TYPE = "ml.m5.large"
# The model server refuses bodies over 6 MiB; 4 stays under it whether SageMaker's MB
# is 10**6 or 2**20 bytes. A mini-batch of 4 MB is ~60,000 lines, priced in one frame.
MAX_PAYLOAD_MB = 4
# Batch Transform's JSONPath over a CSV line's fields: the model's columns, by position.
MODEL_COLUMNS_FILTER = "$[0,1,2,3,4,5,6,7]"


@dataclass(frozen=True)
class StartedJob:
    name: str
    model: str
    version: str | None
    output: str  # the object the job writes


def transform_request(
    name: str, model: str, input_uri: str, output_uri: str, instance_type: str
) -> dict[str, Any]:
    """CreateTransformJob's request for one CSV object."""
    return {
        "TransformJobName": name,
        "ModelName": model,
        # Many lines a request, each request at most MAX_PAYLOAD_MB, one at a time: the
        # model server prices a request's lines as one frame.
        "BatchStrategy": "MultiRecord",
        "MaxPayloadInMB": MAX_PAYLOAD_MB,
        "MaxConcurrentTransforms": 1,
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": input_uri}},
            "ContentType": "text/csv",
            "SplitType": "Line",
            "CompressionType": "None",
        },
        "TransformOutput": {
            "S3OutputPath": output_uri,
            "Accept": "text/csv",
            "AssembleWith": "Line",
        },
        "TransformResources": {"InstanceType": instance_type, "InstanceCount": 1},
        "DataProcessing": {
            "InputFilter": MODEL_COLUMNS_FILTER,
            "JoinSource": "Input",
            "OutputFilter": "$",
        },
    }


def _location(uri: str, flag: str) -> tuple[str, str]:
    from chalice_app.aws.training import s3_location
    from chalice_app.errors import TrainingInputError

    try:
        return s3_location(uri, flag)
    except TrainingInputError as exc:
        raise OperatorError(f"--{flag}: {exc.problem}") from None


def _only_object(s3: Any, bucket: str, key: str) -> None:
    """The input names exactly one object: S3Prefix reads every key that starts with it
    (`in.csv` would read `in.csv.bak` too)."""
    found = s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=2).get("Contents", [])
    keys = [item["Key"] for item in found]
    if key not in keys:
        raise OperatorError(f"--input: no such object: s3://{bucket}/{key}")
    others = [other for other in keys if other != key]
    if others:
        raise OperatorError(
            f"--input: s3://{bucket}/{key} also names s3://{bucket}/{others[0]} (the job "
            "would read every object under that prefix): move one of them"
        )


def start_batch(
    aws: Any, clients: Any, input_uri: str, output_uri: str, instance_type: str, stamp: str
) -> StartedJob:
    """Start the job on the stage `aws` names (AwsSettings), with `clients` (AwsClients)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from chalice_app.aws.endpoints import SageMakerEndpoints

    bucket, key = _location(input_uri, "input")
    _location(output_uri.rstrip("/"), "output")
    try:
        _only_object(clients.get("s3"), bucket, key)
        endpoints = SageMakerEndpoints(clients.source("sagemaker"), aws.endpoint_name)
        state = endpoints.state()
        if state is None:
            raise OperatorError(f"endpoint {aws.endpoint_name} does not exist: deploy first")
        served = endpoints.served(state.config)
        name = aws.names.transform_job(stamp)
        request = transform_request(name, served.model, input_uri, output_uri, instance_type)
        clients.get("sagemaker").create_transform_job(**request)
    except (BotoCoreError, ClientError) as exc:
        raise OperatorError(f"cannot start a batch job on {aws.stage}: {exc}") from None
    output = f"{output_uri.rstrip('/')}/{key.rsplit('/', 1)[-1]}.out"
    return StartedJob(name, served.model, served.version, output)


def job_lines(aws: Any, sagemaker: Any) -> Iterator[str]:
    """The stage's batch jobs, oldest first, one line each (for `runs --stage`)."""
    pages = sagemaker.get_paginator("list_transform_jobs").paginate(
        NameContains=aws.names.transform_job_prefix, SortBy="CreationTime", SortOrder="Ascending"
    )
    for page in pages:
        for job in page["TransformJobSummaries"]:
            created = job["CreationTime"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            line = f"{job['TransformJobName']}  {job['TransformJobStatus']:<9} batch  {created}"
            yield f"{line}  {job.get('FailureReason') or ''}".rstrip()


def _batch(args: argparse.Namespace) -> int:
    from chalice_app.aws.clients import AwsClients
    from chalice_app.config import load_aws_settings

    aws = load_aws_settings(os.environ, stage=args.stage)
    stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(2)}"
    job = start_batch(aws, AwsClients(aws), args.input, args.output, args.instance_type, stamp)
    print(f"started {job.name} with {job.model} ({job.version or 'version unknown'})")
    print(f"output: {job.output}")
    return 0


def add_commands(commands: Any) -> None:
    batch = commands.add_parser(
        "batch", help="price a CSV in S3 with Batch Transform and the deployed model"
    )
    batch.add_argument("--stage", required=True)
    batch.add_argument("--input", required=True, help="s3:// URI of one CSV object")
    batch.add_argument("--output", required=True, help="s3:// prefix the job writes under")
    batch.add_argument("--instance-type", default=INSTANCE_TYPE)
    batch.set_defaults(handler=_batch)
