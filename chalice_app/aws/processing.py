"""The analytics jobs as SageMaker Processing jobs on the model image.

A job runs one operator command (`python -m ops export ...` or `... drift ...`) in the
model image, which carries pandas and pyarrow, so the API's Lambda never does. The
request is built here with boto3's own shapes: the Lambda zip has no SageMaker SDK.

Why Processing, not DynamoDB's native export: the job reads exactly the day it writes,
with the same SHARDS queries the log's reader uses (a day costs what it holds), and
writes it as one object in one step. A native export writes the whole table (or, as an
incremental export, what changed in a time window: by write time, not by the
prediction's day), so every night would still need a job to cut it into days; and its
wait (minutes, asynchronously) would need a second schedule between the two.

No network isolation: the job calls DynamoDB, S3 and SageMaker's Describe APIs itself
(an isolated job can reach none of them); it runs in SageMaker's network, not a VPC.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalice_app.aws.clients import ClientSource
from contract.environment import REGION_VARIABLES
from contract.resources import StageNames

OPERATOR_COMMAND = ("python", "-m", "ops")
# A night's job takes minutes; an hour means something is wrong.
MAX_RUNTIME_SECONDS = 3600
VOLUME_GB = 10
# SageMaker names a job's time; ours is its start (a job name is never reusable).
STAMP_FORMAT = "%y%m%d%H%M%S"


@dataclass(frozen=True)
class JobSettings:
    names: StageNames
    region: str
    role_arn: str
    image_uri: str
    instance_type: str


def job_request(
    settings: JobSettings,
    kind: str,
    arguments: Sequence[str],
    started: datetime,
    *,
    name_flag: str | None = None,
) -> dict[str, Any]:
    """CreateProcessingJob's request for `python -m ops <kind> <arguments> --stage S`
    (and `<name_flag> <the job's name>`, for a command that names its output after it)."""
    name = settings.names.analytics_job(kind, started.strftime(STAMP_FORMAT))
    own_name = [name_flag, name] if name_flag else []
    environment: Mapping[str, str] = {
        REGION_VARIABLES[0]: settings.region,
        REGION_VARIABLES[1]: settings.region,
        # One thread per library: a 2-vCPU instance, and no other work on it.
        "OMP_NUM_THREADS": "1",
    }
    return {
        "ProcessingJobName": name,
        "RoleArn": settings.role_arn,
        "AppSpecification": {
            "ImageUri": settings.image_uri,
            "ContainerEntrypoint": [*OPERATOR_COMMAND, kind],
            "ContainerArguments": [*arguments, *own_name, "--stage", settings.names.stage],
        },
        "ProcessingResources": {
            "ClusterConfig": {
                "InstanceCount": 1,
                "InstanceType": settings.instance_type,
                "VolumeSizeInGB": VOLUME_GB,
            }
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": MAX_RUNTIME_SECONDS},
        "Environment": dict(environment),
        "NetworkConfig": {"EnableNetworkIsolation": False},
    }


class ProcessingJobs:
    """Starts the analytics jobs; botocore errors pass through (the schedule retries)."""

    def __init__(self, sagemaker: ClientSource, settings: JobSettings) -> None:
        self._sagemaker = sagemaker
        self.settings = settings

    def start(
        self,
        kind: str,
        arguments: Sequence[str],
        started: datetime,
        *,
        name_flag: str | None = None,
    ) -> str:
        request = job_request(self.settings, kind, arguments, started, name_flag=name_flag)
        self._sagemaker().create_processing_job(**request)
        return str(request["ProcessingJobName"])
