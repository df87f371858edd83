"""The model image by digest: what `upsert` puts in the definition instead of a tag.

A tag moves (`...-training:dev` is whatever was pushed last). SageMaker resolves a
Model's image tag to a digest only when an endpoint deploys it (DeployedImage:
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeployedImage.html), so a
rollback that recreates an endpoint on the previous model would run it on today's image:
the one that may have caused the failure, or may refuse the older model's format. Pinned
at upsert (ECR DescribeImages:
https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html), the
digest is in every job, in the registered model and in the event the deploy callback
gets, so each model version is served by the image that trained and evaluated it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from contract.resources import StageTargets
from training_pipeline.errors import PipelineError

DIGEST = "@sha256:"
# ECR's private registries: <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>
_ECR_TAGGED = re.compile(
    r"^(?P<registry>(?P<account>\d{12})\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?)/"
    r"(?P<repository>[a-z0-9._/-]+):(?P<tag>[A-Za-z0-9_.-]{1,128})$"
)


def pinned(image_uri: str, ecr: Any) -> str:
    """The image URI by digest (already pinned ones as they are); PipelineError when the
    tag is not in its repository or the image is not in ECR."""
    from botocore.exceptions import ClientError

    if DIGEST in image_uri:
        return image_uri
    found = _ECR_TAGGED.match(image_uri)
    if found is None:
        raise PipelineError(
            f"cannot pin {image_uri} by digest: not an ECR image with a tag "
            "(give PVP_TRAINING_IMAGE_URI as <repository>@sha256:<digest>)"
        )
    try:
        details = ecr.describe_images(
            registryId=found["account"],
            repositoryName=found["repository"],
            imageIds=[{"imageTag": found["tag"]}],
        )["imageDetails"]
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        raise PipelineError(f"cannot pin {image_uri} by digest ({code}): push it first") from None
    return f"{found['registry']}/{found['repository']}@{details[0]['imageDigest']}"


def with_pinned_image(targets: StageTargets, ecr: Any) -> StageTargets:
    return replace(targets, image_uri=pinned(targets.image_uri, ecr))
