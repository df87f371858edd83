"""`python -m devtools.infra.teardown layers|data STAGE`: what `make destroy` deletes
that no stack owns, or that CloudFormation cannot delete while it holds anything.

- layers: every published version of the stage's layer (`make deploy` publishes them).
- data: the endpoint and the models and configs the deploy callback made, the pipeline
  (`sagemaker upsert` made it), the Model Package Group's versions, and every version
  and delete marker in the stage's bucket; then the data stack can be deleted.

boto3 with the caller's credentials; each deletion tolerates "already gone".
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from contract.resources import StageNames, check_stage

# DeleteObjects takes at most 1,000 keys a call.
BATCH = 1000
_GONE = ("ResourceNotFound", "ValidationException", "NoSuchBucket", "ResourceNotFoundException")


def _tolerant(call: Callable[[], Any]) -> None:
    from botocore.exceptions import ClientError

    try:
        call()
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in _GONE:
            raise


def delete_layers(lambda_client: Any, names: StageNames) -> int:
    pages = lambda_client.get_paginator("list_layer_versions").paginate(LayerName=names.layer)
    versions = [v["Version"] for page in pages for v in page["LayerVersions"]]
    for version in versions:
        lambda_client.delete_layer_version(LayerName=names.layer, VersionNumber=version)
    return len(versions)


def delete_served(sagemaker: Any, names: StageNames) -> None:
    """The endpoint, then every config and model the stage's deploys made."""
    _tolerant(lambda: sagemaker.delete_endpoint(EndpointName=names.endpoint))
    _tolerant(
        lambda: sagemaker.get_waiter("endpoint_deleted").wait(
            EndpointName=names.endpoint, WaiterConfig={"Delay": 10, "MaxAttempts": 60}
        )
    )
    prefix = names.served_prefix
    for page in sagemaker.get_paginator("list_endpoint_configs").paginate(NameContains=prefix):
        for config in page["EndpointConfigs"]:
            if config["EndpointConfigName"].startswith(prefix):
                name = config["EndpointConfigName"]
                _tolerant(partial(sagemaker.delete_endpoint_config, EndpointConfigName=name))
    for page in sagemaker.get_paginator("list_models").paginate(NameContains=prefix):
        for model in page["Models"]:
            if model["ModelName"].startswith(prefix):
                name = model["ModelName"]
                _tolerant(partial(sagemaker.delete_model, ModelName=name))


def delete_registry(sagemaker: Any, names: StageNames) -> None:
    """The pipeline and the group's model versions (CloudFormation deletes the group)."""
    _tolerant(
        lambda: sagemaker.delete_pipeline(
            PipelineName=names.pipeline,
            ClientRequestToken=uuid.uuid4().hex,  # 32-128 chars
        )
    )
    pages = sagemaker.get_paginator("list_model_packages").paginate(
        ModelPackageGroupName=names.model_package_group
    )
    for page in pages:
        for package in page["ModelPackageSummaryList"]:
            arn = package["ModelPackageArn"]
            _tolerant(partial(sagemaker.delete_model_package, ModelPackageName=arn))


def empty_bucket(s3: Any, names: StageNames) -> int:
    """Every object version and delete marker: a versioned bucket is empty only then."""
    deleted = 0
    pages = s3.get_paginator("list_object_versions").paginate(Bucket=names.bucket)
    for page in pages:
        keys = [
            {"Key": item["Key"], "VersionId": item["VersionId"]}
            for kind in ("Versions", "DeleteMarkers")
            for item in page.get(kind, [])
        ]
        for start in range(0, len(keys), BATCH):
            batch = keys[start : start + BATCH]
            s3.delete_objects(Bucket=names.bucket, Delete={"Objects": batch, "Quiet": True})
            deleted += len(batch)
    return deleted


def main(argv: Sequence[str] | None = None) -> int:
    import boto3

    what, stage = argv or sys.argv[1:]
    names = StageNames(check_stage(stage))
    session = boto3.session.Session()
    if what == "layers":
        print(f"deleted {delete_layers(session.client('lambda'), names)} layer versions")
    elif what == "data":
        sagemaker = session.client("sagemaker")
        delete_served(sagemaker, names)
        delete_registry(sagemaker, names)
        print(f"deleted {empty_bucket(session.client('s3'), names)} object versions")
    else:
        raise SystemExit(f"unknown teardown {what!r}: layers or data")
    return 0


if __name__ == "__main__":
    sys.exit(main())
