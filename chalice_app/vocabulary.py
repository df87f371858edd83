"""One vocabulary for training runs on both backends: statuses, fields, steps, versions.

The local backend's words are the reference (training_pipeline/runs.py, runner.py and
registry.py). chalice_app may not import training_pipeline at module level (the Lambda
package does not carry it), so the words are written here again and a unit test holds
both equal. The AWS backend translates SageMaker's words into these.
"""

from __future__ import annotations

import re
from typing import Final, Literal, get_args

RunStatus = Literal["pending", "running", "accepted", "rejected", "failed"]
RUN_STATUSES: Final = get_args(RunStatus)
FINAL_STATUSES: Final = ("accepted", "rejected", "failed")
# What GET /training/{execution_id} and `python -m training_pipeline runs` show for a
# run, on either backend (the local RunRecord's fields, in its order).
RUN_VIEW_FIELDS: Final = (
    "run_id",
    "status",
    "step",
    "started_at",
    "finished_at",
    "train_path",
    "validation_path",
    "metrics",
    "gate",
    "model_version",
    "reason",
    "artifacts_dir",
)
# A run's id on either backend: the local runner's (run-<time>-<hex>) or SageMaker's
# execution id (short lower-case alphanumerics). Anything else is an unknown run.
RUN_ID: Final = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
PIPELINE_EXECUTION_ID: Final = re.compile(r"^[a-z0-9]{1,64}$")


def execution_id_of(arn: str) -> str:
    """A pipeline execution's id: its ARN's last segment (the status route's id)."""
    return arn.rsplit("/", 1)[-1]


# The local runner's steps, in order; a run's `step` is one of these on both backends.
STEPS: Final = ("validate", "train", "evaluate", "gate", "register", "deploy", "record")
# The SageMaker pipeline's step names (training_pipeline/sagemaker/pipeline.py) in them.
PIPELINE_STEPS: Final = {
    "Train": "train",
    "Evaluate": "evaluate",
    "Gate": "gate",
    "Accepted-RegisterModel": "register",
    "Rejected-RegisterModel": "register",
    "DeployCallback": "deploy",
    "RecordRejection": "record",
}

_PACKAGE_VERSION = re.compile(r":model-package/[^/]+/(\d+)$")


def model_version(number: int) -> str:
    """The n-th model registered: v0001, v0002, ... (the local registry's numbering)."""
    return f"v{number:04d}"


def version_of_package(model_package_arn: str) -> str:
    """A Model Package Group member's version number, in the registry's words.

    Rejected models are registered too, so group versions count like local versions.
    """
    found = _PACKAGE_VERSION.search(model_package_arn)
    if found is None:
        raise ValueError(f"not a versioned model package ARN: {model_package_arn!r}")
    return model_version(int(found.group(1)))


def step_of(pipeline_step: str | None) -> str | None:
    """A SageMaker step name in the local runner's words (unknown names pass through)."""
    if pipeline_step is None:
        return None
    return PIPELINE_STEPS.get(pipeline_step, pipeline_step)
