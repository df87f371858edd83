"""A stage on moto, made as `make deploy` makes it on AWS.

The account's and the stage's data stacks are the infra/ templates, deployed into
moto's CloudFormation (devtools/infra/moto_deploy.py: the secret and the Model Package
Group, which moto's CloudFormation lacks, from the same template in Python). Then what
`make deploy` does after the stacks: the training data at its default keys, the
pipeline from its real definition (`sagemaker upsert`: get_pipeline, so the SageMaker
SDK is imported; this is a dev launcher, nothing that serves imports it), and the
endpoint serving a first model (a model carrying its version, a serverless config).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from chalice_app.aws.clients import AwsClients
from chalice_app.aws.endpoints import SageMakerEndpoints
from chalice_app.aws.training import s3_location
from chalice_app.config import (
    TRAIN_FILENAME,
    VALIDATION_FILENAME,
    AwsSettings,
    load_deploy_settings,
)
from contract.resources import PLACEHOLDER_ACCOUNT, StageTargets
from contract.vocabulary import version_of_package
from devtools.moto_pipeline import register_model

# A deploy is an operator's command, not a request inside API Gateway's 29 s: its calls
# get the AWS CLI's 60 s read timeout, not the API's 2 s (moto on a busy machine can take
# seconds to create a table or take an image layer).
DEPLOY_READ_TIMEOUT = 60.0


def deploy_clients(settings: AwsSettings) -> AwsClients:
    """The clients a deploy makes the stage with (its own timeouts, not the API's)."""
    return AwsClients(replace(settings, read_timeout=DEPLOY_READ_TIMEOUT))


def pipeline_targets(settings: AwsSettings) -> StageTargets:
    """What the stage's pipeline points at, on moto's account and the stage's bucket."""
    return StageTargets.of(
        settings.names,
        account=PLACEHOLDER_ACCOUNT,  # moto's
        region=settings.region,
        bucket=settings.bucket,
    )


@functools.lru_cache(maxsize=4)
def _definition(targets: StageTargets) -> str:
    from training_pipeline.sagemaker.harness import definition

    return definition(targets)  # ~4 s the first time in a process (the SDK's import)


def create_pipeline(sagemaker: Any, settings: AwsSettings) -> str:
    """The stage's pipeline, from the definition `sagemaker upsert` would send."""
    answer = sagemaker.create_pipeline(
        PipelineName=settings.pipeline_name,
        PipelineDefinition=_definition(pipeline_targets(settings)),
        RoleArn=pipeline_targets(settings).role_arn,
    )
    return str(answer["PipelineArn"])


def push_model_image(ecr: Any, targets: StageTargets, build: str) -> str:
    """What a deploy's `docker push` does: the stage's tag on a new image (one manifest
    per `build`), in its repository; the image's digest."""
    repository = targets.names.model_image_repository
    with contextlib.suppress(ecr.exceptions.RepositoryAlreadyExistsException):
        ecr.create_repository(repositoryName=repository)
    layer = {
        "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
        "size": len(build),
        "digest": "sha256:" + hashlib.sha256(build.encode()).hexdigest(),
    }
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {**layer, "mediaType": "application/vnd.docker.container.image.v1+json"},
        "layers": [layer],
    }
    pushed = ecr.put_image(
        repositoryName=repository, imageManifest=json.dumps(manifest), imageTag=targets.stage
    )
    return str(pushed["image"]["imageId"]["imageDigest"])


def serve_first_model(
    clients: AwsClients, settings: AwsSettings, model_dir: Path, image: str | None = None
) -> str:
    """The stage's first model, as a pipeline run and its deploy callback leave it.

    Its model.tar.gz in the bucket, version 1 of the Model Package Group (Approved), and
    the endpoint serving it through a model and config named as the deploy names them,
    so the launcher finds it as the champion and later rollouts treat it as their own.
    `image`: the pipeline's (pinned by digest), else the stage's tag.
    """
    targets = pipeline_targets(settings)
    image = image or targets.image_uri
    archive = io.BytesIO()
    from training_pipeline.model import pack_model

    pack_model(model_dir, archive)
    key = f"{targets.names.artifacts_prefix}/models/first/model.tar.gz"
    clients.get("s3").put_object(Bucket=settings.bucket, Key=key, Body=archive.getvalue())
    model_data_url = f"s3://{settings.bucket}/{key}"
    arn = register_model(
        clients.get("sagemaker"),
        targets.names.model_package_group,
        image=image,
        model_data_url=model_data_url,
        evaluation_uri=f"{targets.artifacts_uri}/first/evaluation.json",
        accepted=True,
    )
    version = version_of_package(arn)
    endpoints = SageMakerEndpoints(clients.source("sagemaker"), settings.endpoint_name)
    name = settings.names.served(version)
    deploy = load_deploy_settings({})
    endpoints.create_model(
        name,
        image=image,
        model_data_url=model_data_url,
        version=version,
        role_arn=targets.role_arn,
    )
    endpoints.create_config(
        name, model=name, memory_mb=deploy.memory_mb, max_concurrency=deploy.max_concurrency
    )
    endpoints.create_endpoint(name)
    return version


def provision(
    clients: AwsClients, settings: AwsSettings, *, key: str, sample: Path, model_dir: Path
) -> str:
    """Everything the stage needs, its first model serving; that model's version. `key`
    plays the first key the secret's template generates."""
    import boto3

    from devtools.infra.moto_deploy import deploy_data
    from training_pipeline.sagemaker.harness import upsert

    if settings.bucket != settings.names.bucket:
        raise ValueError(f"the data stack makes {settings.names.bucket}, not {settings.bucket}")
    deploy_data(clients.get, settings.names.stage, key)
    s3 = clients.get("s3")
    for uri, name in [
        (settings.train_uri, TRAIN_FILENAME),
        (settings.validation_uri, VALIDATION_FILENAME),
    ]:
        bucket, object_key = s3_location(uri, "uri")
        s3.upload_file(str(sample / name), bucket, object_key)
    # What a deploy does: push the model image, then `python -m training_pipeline
    # sagemaker upsert` (the pipeline with the image by digest, its Model Package Group
    # and the first run's no-champion marker).
    targets = pipeline_targets(settings)
    push_model_image(clients.get("ecr"), targets, build=f"{settings.stage}-first")
    upserted = upsert(targets, boto3.session.Session(region_name=settings.region))
    return serve_first_model(clients, settings, model_dir, image=upserted.image_uri)
