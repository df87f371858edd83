"""The words of a training run on every backend: statuses, steps, fields, ids, versions.

The local runner and registry (training_pipeline), the API's status route and the AWS
backend (which translates SageMaker's words into these) all speak them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, Final, Literal, get_args

from contract import pipeline

RunStatus = Literal["pending", "running", "accepted", "rejected", "failed"]
RUN_STATUSES: Final = get_args(RunStatus)
FINAL_STATUSES: Final = ("accepted", "rejected", "failed")
# What the registry records of a model: the gate's decision, or a failed run's model.
ModelStatus = Literal["accepted", "rejected", "failed"]
MODEL_STATUSES: Final = get_args(ModelStatus)

# The local runner's steps, in order; a run's `step` is one of these on both backends.
STEPS: Final = ("validate", "train", "evaluate", "gate", "register", "deploy", "record")
# The SageMaker pipeline's steps in those words.
PIPELINE_STEPS: Final = {
    pipeline.TRAIN_STEP: "train",
    pipeline.EVALUATE_STEP: "evaluate",
    pipeline.GATE_STEP: "gate",
    pipeline.ACCEPTED_REGISTER + pipeline.REGISTER_SUFFIX: "register",
    pipeline.REJECTED_REGISTER + pipeline.REGISTER_SUFFIX: "register",
    pipeline.DEPLOY_CALLBACK_STEP: "deploy",
    pipeline.RECORD_REJECTION_STEP: "record",
}


@dataclass(frozen=True)
class RunView:
    """A run as GET /training/{execution_id} and the `runs` commands show it."""

    run_id: str
    status: str
    step: str | None
    started_at: str
    finished_at: str | None
    train_path: str | None
    validation_path: str | None
    metrics: dict[str, Any] | None
    gate: dict[str, Any] | None
    model_version: str | None
    reason: str | None
    artifacts_dir: str | None


RUN_VIEW_FIELDS: Final = tuple(field.name for field in fields(RunView))
# A run's metrics are floats, but for the counts of rows, named n_... (n_rows,
# n_unscored). A store that keeps no number's type (DynamoDB trims 3500.0 to 3500)
# restores it from this rule.
COUNT_PREFIX: Final = "n_"


def is_count(metric: str) -> bool:
    """Whether a metric counts rows (a whole number) rather than measures (a float)."""
    return metric.startswith(COUNT_PREFIX)


# A run's id on either backend: the local runner's (run-<time>-<hex>) or SageMaker's
# execution id (short lower-case alphanumerics). Anything else is an unknown run.
RUN_ID: Final = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
PIPELINE_EXECUTION_ID: Final = re.compile(r"^[a-z0-9]{1,64}$")
_PACKAGE_VERSION = re.compile(r":model-package/[^/]+/(\d+)$")


def utc_now() -> str:
    """A run's timestamps (started_at, finished_at, ...): ISO-8601 UTC, milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def execution_id_of(arn: str) -> str:
    """A pipeline execution's id: its ARN's last segment (the status route's id)."""
    return arn.rsplit("/", 1)[-1]


def model_version(number: int) -> str:
    """The n-th model registered: v0001, v0002, ... on both backends."""
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
