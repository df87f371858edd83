"""A run's status from its pipeline execution, its steps and the run table.

The words are the local backend's (contract/runs.py): pending, running,
accepted, rejected, failed, and the local runner's step names. The pipeline's Lambda
steps write the outcome (accepted or rejected, metrics, gate, model version) to the run
table; SageMaker says whether the execution still runs or, when a step failed before
either Lambda ran (Train, Evaluate), which one and why. The step is best effort: a
failure to list steps leaves it out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalice_app.aws.clients import ClientSource, error_code
from chalice_app.aws.run_table import RunTable
from chalice_app.errors import TrainingUnavailableError
from contract.vocabulary import (
    FINAL_STATUSES,
    PIPELINE_EXECUTION_ID,
    RUN_VIEW_FIELDS,
    execution_id_of,
    step_of,
)

log = logging.getLogger(__name__)

_RUNNING = {"Executing", "Stopping"}
# Steps are listed only when they tell something the run table cannot: what runs now,
# or what failed (moto cannot list them: it only ever has Succeeded executions).
_LIST_STEPS = _RUNNING | {"Failed", "Stopped"}
# The graph is linear: the failed step, if any, is among the last few.
_RECENT_STEPS = 5
_NOT_FOUND = {"ResourceNotFound", "ResourceNotFoundException", "ValidationException"}


@dataclass(frozen=True)
class Step:
    """The execution's latest step (or the one that failed), in the local words."""

    name: str | None
    failure: str | None = None


def _iso(value: Any) -> str | None:
    return value.isoformat(timespec="milliseconds") if isinstance(value, datetime) else None


def _recorded_running(run: dict[str, Any]) -> bool:
    # The deploy callback records `running` at `deploy` and returns when the endpoint is
    # slower than a Lambda step may wait; the deploy watcher finishes the run
    # (chalice_app/callbacks). Whatever became of the execution since, the run table tells
    # the run's story. (make run-moto's stand-in pipeline records every step so.)
    return run["status"] == "running"


def merge(record: dict[str, Any], execution: dict[str, Any], step: Step | None) -> dict[str, Any]:
    """The local backend's fields, from the run item and DescribePipelineExecution."""
    run = {name: record.get(name) for name in RUN_VIEW_FIELDS}
    state = execution.get("PipelineExecutionStatus")
    run["started_at"] = _iso(execution.get("CreationTime")) or run["started_at"]
    if _recorded_running(run):
        return run
    if run["status"] in FINAL_STATUSES:
        if state not in _RUNNING:
            run["finished_at"] = run["finished_at"] or _iso(execution.get("LastModifiedTime"))
        return run
    if step is not None and step.name:
        run["step"] = step.name
    if state in _RUNNING:
        run["status"] = "running" if run["step"] else "pending"
        return run
    if state == "Succeeded":
        run["status"] = "failed"
        run["reason"] = "the pipeline finished without recording its outcome"
    elif state is not None:
        run["status"] = "failed"
        failure = step.failure if step is not None else None
        if failure and run["step"]:
            run["reason"] = f"{run['step']} failed: {failure}"  # the local runner's words
        else:
            run["reason"] = execution.get("FailureReason") or f"the execution {state.lower()}"
    run["finished_at"] = run["finished_at"] or _iso(execution.get("LastModifiedTime"))
    return run


class PipelineRunStatus:
    def __init__(self, sagemaker: ClientSource, runs: RunTable, pipeline_name: str) -> None:
        self._sagemaker = sagemaker
        self._runs = runs
        self._pipeline = pipeline_name
        self._pipeline_arn: str | None = None

    def get(self, execution_id: str) -> dict[str, Any] | None:
        from botocore.exceptions import BotoCoreError, ClientError

        if not PIPELINE_EXECUTION_ID.match(execution_id):  # never reaches an ARN
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
        state = (execution or {}).get("PipelineExecutionStatus")
        final = record.get("status") in FINAL_STATUSES
        step = self._latest_step(arn) if state in _LIST_STEPS and not final else None
        return merge(record, execution or {}, step)

    def list(self) -> list[dict[str, Any]]:
        """Every execution of the pipeline as a run, oldest first (operators' listing:
        one call per run, so not for the API)."""
        pages = (
            self._sagemaker()
            .get_paginator("list_pipeline_executions")
            .paginate(PipelineName=self._pipeline, SortOrder="Ascending")
        )
        ids = [
            execution_id_of(str(summary["PipelineExecutionArn"]))
            for page in pages
            for summary in page["PipelineExecutionSummaries"]
        ]
        runs = [run for run in map(self.get, ids) if run is not None]
        return sorted(runs, key=lambda run: (run["started_at"] or "", run["run_id"]))

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
            if error_code(exc) in _NOT_FOUND:
                return None
            raise
        return answer

    def _latest_step(self, arn: str) -> Step | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            steps = self._sagemaker().list_pipeline_execution_steps(
                PipelineExecutionArn=arn, SortOrder="Descending", MaxResults=_RECENT_STEPS
            )["PipelineExecutionSteps"]
        except (ClientError, BotoCoreError) as exc:
            log.warning("steps of %s unreadable: %s", arn, type(exc).__name__)
            return None
        failed = [s for s in steps if s.get("StepStatus") == "Failed"]
        latest = (failed or steps or [None])[0]
        if latest is None:
            return None
        return Step(step_of(str(latest["StepName"])), latest.get("FailureReason"))
