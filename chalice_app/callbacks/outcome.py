"""A run's outcome as the run table keeps it, from the step's event and evaluation.json.

The metrics and the gate are evaluation.json's own (what the local runner stores), the
version is the model package's (v0003): the same words as the local backend.
"""

from __future__ import annotations

import math
from typing import Any

from chalice_app.callbacks.ports import ArtifactError, Artifacts
from chalice_app.callbacks.step_event import CallbackError, StepEvent


def finite(value: Any) -> Any:
    """NaN and infinities as None: DynamoDB stores no such number (a model that scores
    nothing has a NaN MAE; the gate rejects it, and its record must still be written)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [finite(item) for item in value]
    return value


def read_evaluation(artifacts: Artifacts, event: StepEvent) -> dict[str, Any]:
    """evaluation.json, checked against the decision the pipeline acted on."""
    try:
        evaluation = artifacts.read_json(event.evaluation_uri)
    except ArtifactError as exc:
        raise CallbackError(str(exc)) from None
    metrics, gate = evaluation.get("metrics"), evaluation.get("gate")
    if not isinstance(metrics, dict) or not isinstance(gate, dict):
        raise CallbackError(f"{event.evaluation_uri} has no metrics or no gate")
    if gate.get("accepted") is not event.accepted:
        raise CallbackError(
            f"{event.evaluation_uri} says accepted={gate.get('accepted')}, "
            f"the pipeline acted on accepted={event.accepted}"
        )
    return evaluation


def run_fields(event: StepEvent, evaluation: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the run item learns from the step (a run started outside the API has none)."""
    fields = {
        "execution_arn": event.execution_arn,
        "train_path": event.train_uri,
        "validation_path": event.validation_uri,
        "model_version": event.version,
        "model_package_arn": event.model_package_arn,
        "model_data_url": event.model_data_url,
        "artifacts_dir": event.artifacts_dir,
    }
    if evaluation is not None:
        fields.update(metrics=finite(evaluation["metrics"]), gate=finite(evaluation["gate"]))
    return fields
