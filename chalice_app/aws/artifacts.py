"""Run artifacts in S3 the pipeline's callbacks read: evaluation.json."""

from __future__ import annotations

import json
from typing import Any

from chalice_app.aws.clients import ClientSource, error_code
from chalice_app.aws.training import s3_location
from chalice_app.callbacks.ports import ArtifactError

# evaluation.json is a few hundred bytes; anything near this is not one.
MAX_JSON_BYTES = 1024 * 1024


def _why(code: str) -> str:
    """The error as an operator acts on it. S3 says 404 for a missing object only to a
    role that may list the bucket (the callbacks' policies grant s3:ListBucket); else
    403, which would hide a missing file behind an IAM error:
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html (Permissions)."""
    if code in ("NoSuchKey", "404", "NoSuchBucket"):
        return f"{code}: no such object (the evaluate step wrote none there)"
    if code in ("AccessDenied", "403"):
        return f"{code}: this function's role may not read it"
    return code


class S3Artifacts:
    def __init__(self, s3: ClientSource) -> None:
        self._s3 = s3

    def read_json(self, uri: str) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        from chalice_app.errors import TrainingInputError

        try:
            bucket, key = s3_location(uri, "evaluation_uri")
            answer = self._s3().get_object(Bucket=bucket, Key=key)
            body = answer["Body"].read(MAX_JSON_BYTES + 1)
        except TrainingInputError as exc:
            raise ArtifactError(exc.problem) from None
        except ClientError as exc:
            raise ArtifactError(f"cannot read {uri}: {_why(error_code(exc))}") from None
        except BotoCoreError as exc:
            raise ArtifactError(f"cannot read {uri}: {type(exc).__name__}") from None
        if len(body) > MAX_JSON_BYTES:
            raise ArtifactError(f"{uri} is larger than {MAX_JSON_BYTES} bytes")
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise ArtifactError(f"{uri} is not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ArtifactError(f"{uri} is not a JSON object")
        return data
