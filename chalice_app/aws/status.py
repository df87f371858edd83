"""A run's status from its pipeline execution, its steps and the run table.

The words are the local backend's: pending, running, accepted, rejected, failed. The
pipeline's deploy callback writes the outcome (accepted or rejected, metrics, gate,
model version) to the run table; SageMaker says whether the execution still runs or
why it failed. The current step is best effort: a failure to list steps leaves it out.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from chalice_app.aws.clients import ClientSource
from chalice_app.aws.runs import FINAL_STATUSES, RUN_FIELDS, RunTable
from chalice_app.errors import TrainingUnavailableError

log = logging.getLogger(__name__)

# SageMaker execution ids are short lower-case alphanumerics; anything else is unknown
# (and never reaches an ARN).
_EXECUTION_ID = re.compile(r"^[a-z0-9]{1,64}$")
_RUNNING = {"Executing", "Stopping"}
_NOT_FOUND = {"ResourceNotFound", "ResourceNotFoundException", "ValidationException"}


def _iso(value: Any) -> str | None:
    return value.isoformat(timespec="milliseconds") if isinstance(value, datetime) else None


def merge(record: dict[str, Any], execution: dict[str, Any], step: str | None) -> dict[str, Any]:
    """The local backend's fields, from the run item and DescribePipelineExecution."""
    run = {
        name: record.get(name) for name in RUN_FIELDS if name not in ("execution_arn", "updated_at")
    }
    state = execution.get("PipelineExecutionStatus")
    run["step"] = step or run["step"]
    if run["status"] not in FINAL_STATUSES:
        if state in _RUNNING:
            run["status"] = "running" if run["step"] else "pending"
        elif state == "Succeeded":
            run["status"] = "failed"
            run["reason"] = "the pipeline finished without recording its outcome"
        elif state is not None:
            run["status"] = "failed"
            run["reason"] = execution.get("FailureReason") or f"the execution {state.lower()}"
    run["started_at"] = _iso(execution.get("CreationTime")) or run["started_at"]
    if state not in _RUNNING and not run["finished_at"]:
        run["finished_at"] = _iso(execution.get("LastModifiedTime"))
    return run


class PipelineRunStatus:
    def __init__(self, sagemaker: ClientSource, runs: RunTable, pipeline_name: str) -> None:
        self._sagemaker = sagemaker
        self._runs = runs
        self._pipeline = pipeline_name
        self._pipeline_arn: str | None = None

    def get(self, execution_id: str) -> dict[str, Any] | None:
        from botocore.exceptions import BotoCoreError, ClientError

        if not _EXECUTION_ID.match(execution_id):
            return None
        try:
            record = self._runs.get(execution_id)
            arn = record["execution_arn"] if record else self._arn_for(execution_id)
            execution = self._describe(arn)
        except (ClientError, BotoCoreError) as exc:
            raise TrainingUnavailableError(
                f"cannot read the run now ({type(exc).__name__})"
            ) from None
        if record is None and execution is None:
            return None
        record = record or {"run_id": execution_id}
        running = (execution or {}).get("PipelineExecutionStatus") in (_RUNNING | {"Failed"})
        return merge(record, execution or {}, self._current_step(arn) if running else None)

    def _arn_for(self, execution_id: str) -> str:
        # A run not started through the API (console, schedule): its ARN from the pipeline's.
        if self._pipeline_arn is None:
            answer = self._sagemaker().describe_pipeline(PipelineName=self._pipeline)
            self._pipeline_arn = str(answer["PipelineArn"])
        return f"{self._pipeline_arn}/execution/{execution_id}"

    def _describe(self, arn: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            answer: dict[str, Any] = self._sagemaker().describe_pipeline_execution(
                PipelineExecutionArn=arn
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] in _NOT_FOUND:
                return None
            raise
        return answer

    def _current_step(self, arn: str) -> str | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            steps = self._sagemaker().list_pipeline_execution_steps(
                PipelineExecutionArn=arn, SortOrder="Descending", MaxResults=1
            )["PipelineExecutionSteps"]
        except (ClientError, BotoCoreError) as exc:
            log.warning("steps of %s unreadable: %s", arn, type(exc).__name__)
            return None
        return str(steps[0]["StepName"]) if steps else None
