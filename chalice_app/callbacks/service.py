"""The pipeline's callbacks as plain functions: record a rejection, deploy an accepted
model, and finish a rollout the deploy step could not wait for.

Why the deploy step does not always wait to the end: a SageMaker Lambda step gives up
after 10 minutes (a Lambda after at most 15), and a serverless endpoint can take longer
than that to create, update, or be rolled back. The callback waits up to a bound
(`wait_seconds`, inside its Lambda's remaining time); a rollout still going then is
recorded as the run's `running` `deploy` step and the watcher, every minute, takes it
the rest of the way. Either way the run ends `accepted`, or `failed` with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chalice_app import observability
from chalice_app.callbacks.outcome import read_evaluation, run_fields
from chalice_app.callbacks.ports import Artifacts, Deployment, Endpoints, Runs
from chalice_app.callbacks.rollout import Rollout
from chalice_app.callbacks.step_event import CallbackError, StepEvent, parse_event
from chalice_app.config import DeploySettings
from contract.metrics import ROLLOUT_DEADLINE_SECONDS
from contract.resources import StageNames, StageTargets
from contract.vocabulary import utc_now

log = logging.getLogger(__name__)

# Room left in a Lambda's time for the last look and the writes after the wait.
MARGIN_SECONDS = 30.0


@dataclass(frozen=True)
class Callbacks:
    """Everything the callbacks call, built once per process by the wiring."""

    stage: str
    settings: DeploySettings
    runs: Runs
    artifacts: Artifacts
    endpoints: Endpoints
    rollout: Rollout
    clock: Callable[[], float]

    def served_name(self, version: str) -> str:
        return StageNames(self.stage).served(version)


def record_rejection(callbacks: Callbacks, payload: Mapping[str, Any]) -> dict[str, Any]:
    event = parse_event(payload)
    if event.accepted:
        raise CallbackError("record_rejection was called for an accepted model")
    try:
        evaluation = read_evaluation(callbacks.artifacts, event)
    except CallbackError as exc:
        _record_failure(callbacks, event, "record", exc)
        raise
    reason = str(evaluation["gate"].get("reason") or event.reason)
    callbacks.runs.update(
        event.execution_id,
        **run_fields(event, evaluation),
        status="rejected",
        step="record",
        reason=reason,
        finished_at=utc_now(),
    )
    return {"run_id": event.execution_id, "status": "rejected", "model_version": event.version}


def deploy_accepted(
    callbacks: Callbacks, payload: Mapping[str, Any], remaining_seconds: float
) -> dict[str, Any]:
    """Record the run, roll its model out, wait within the step's time; the outcome."""
    event = parse_event(payload)
    if not event.accepted:
        raise CallbackError("deploy_callback was called for a rejected model")
    now = callbacks.clock()
    deadline = now + min(callbacks.settings.wait_seconds, remaining_seconds - MARGIN_SECONDS)
    name = None
    try:
        evaluation = read_evaluation(callbacks.artifacts, event)
        callbacks.runs.update(
            event.execution_id,
            **run_fields(event, evaluation),
            status="running",
            step="deploy",
            reason=None,
        )
        name = callbacks.served_name(event.version)
        _prepare(callbacks, event, name)
        started = callbacks.rollout.start(event.execution_id, name, lease_until=deadline)
    except Exception as exc:  # recorded as the run's reason, then the step fails
        _record_failure(callbacks, event, "deploy", exc)
        if name is not None:
            callbacks.rollout.discard(name)
        raise
    try:
        ended = callbacks.rollout.settle(started, deadline, callbacks.settings.poll_seconds)
    except Exception as exc:  # the rollout is saved: the watcher carries on from it
        log.warning("rollout of %s left to the watcher: %s", event.execution_id, exc)
        ended = None
    if ended is not None and ended.active:
        callbacks.rollout.release(ended)
    return _outcome(callbacks, event.execution_id)


def watch(callbacks: Callbacks, remaining_seconds: float) -> dict[str, Any]:
    """Say how old the running rollout is, and take it one step further if nobody holds
    it (the deploy watcher, every minute)."""
    now = callbacks.clock()
    seen = callbacks.rollout.current()
    _report_age(seen, now)
    current = callbacks.rollout.claim(now, now + remaining_seconds - MARGIN_SECONDS, seen)
    if current is None:
        return {"rollout": "none"}
    ended = callbacks.rollout.settle(current, current.lease_until, callbacks.settings.poll_seconds)
    if ended is not None and ended.active:
        callbacks.rollout.release(ended)
        return {"rollout": ended.phase, "run_id": ended.run}
    return {"rollout": "ended", "run_id": current.run}


def _report_age(deployment: Deployment, now: float) -> None:
    """The rollout's age as a metric each minute it runs, whoever holds it; nothing when
    none runs (the alarm treats no data as fine) or its start is not known."""
    if not deployment.active or not deployment.started_at:
        return
    age = max(0.0, now - deployment.started_at)
    observability.rollout_age(age)
    if age > ROLLOUT_DEADLINE_SECONDS:
        log.warning(
            "rollout still running past its deadline",
            extra={"run_id": deployment.run, "goal": deployment.goal, "age_seconds": round(age)},
        )


def _prepare(callbacks: Callbacks, event: StepEvent, name: str) -> None:
    """The model and the serverless config for this version, both called `name`."""
    settings = callbacks.settings
    stage = StageTargets.of(StageNames(callbacks.stage), account=event.account, region=event.region)
    role = settings.role_arn or stage.role_arn
    callbacks.endpoints.create_model(
        name,
        image=event.image_uri,
        model_data_url=event.model_data_url,
        version=event.version,
        role_arn=role,
    )
    callbacks.endpoints.create_config(
        name, model=name, memory_mb=settings.memory_mb, max_concurrency=settings.max_concurrency
    )


def _outcome(callbacks: Callbacks, run_id: str) -> dict[str, Any]:
    run = callbacks.runs.get(run_id) or {}
    if run.get("status") == "failed":  # fails the step, so the execution shows it too
        raise CallbackError(str(run.get("reason")))
    return {
        "run_id": run_id,
        "status": run.get("status"),
        "model_version": run.get("model_version"),
    }


def _record_failure(callbacks: Callbacks, event: StepEvent, step: str, exc: Exception) -> None:
    why = str(exc) if isinstance(exc, CallbackError) else f"{type(exc).__name__}: {exc}"
    callbacks.runs.update(
        event.execution_id,
        **run_fields(event),
        status="failed",
        step=step,
        reason=f"{step} failed: {why}",
        finished_at=utc_now(),
    )
