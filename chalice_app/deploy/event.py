"""What the pipeline's Lambda steps send (training_pipeline/sagemaker/pipeline.py).

A flat JSON object of strings and one boolean; see docs/aws.md ("The deploy callback").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalice_app.vocabulary import PIPELINE_EXECUTION_ID, version_of_package

_FIELDS = (
    "pipeline_execution_arn",
    "execution_id",
    "train_data_uri",
    "validation_data_uri",
    "model_data_url",
    "image_uri",
    "evaluation_uri",
    "gate_accepted",
    "model_package_arn",
)
_EXECUTION_ARN = re.compile(r"^arn:aws[a-z-]*:sagemaker:([a-z0-9-]+):(\d{12}):pipeline/")


class CallbackError(Exception):
    """The callback cannot do its job; the message says why, for the run's reason."""


@dataclass(frozen=True)
class StepEvent:
    execution_arn: str
    execution_id: str
    region: str
    account: str
    train_uri: str
    validation_uri: str
    model_data_url: str
    image_uri: str
    evaluation_uri: str
    accepted: bool
    reason: str
    model_package_arn: str
    version: str  # v0003, from the model package's version number

    @property
    def artifacts_dir(self) -> str:
        """The run's evaluation directory (evaluation.json and report.png)."""
        return self.evaluation_uri.rsplit("/", 1)[0] + "/"


def _accepted(value: Any) -> bool:
    # JsonGet hands over the JSON boolean; accept its string form too, nothing else.
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise CallbackError(f"gate_accepted must be true or false, got {value!r}")


def parse_event(event: Mapping[str, Any]) -> StepEvent:
    missing = [name for name in _FIELDS if event.get(name) in (None, "")]
    if missing:
        raise CallbackError(f"the step's event lacks {', '.join(missing)}")
    execution_id = str(event["execution_id"])
    arn = _EXECUTION_ARN.match(str(event["pipeline_execution_arn"]))
    if not PIPELINE_EXECUTION_ID.match(execution_id) or arn is None:
        raise CallbackError(f"not a pipeline execution: {event['pipeline_execution_arn']!r}")
    try:
        version = version_of_package(str(event["model_package_arn"]))
    except ValueError as exc:
        raise CallbackError(str(exc)) from None
    return StepEvent(
        execution_arn=str(event["pipeline_execution_arn"]),
        execution_id=execution_id,
        region=arn.group(1),
        account=arn.group(2),
        train_uri=str(event["train_data_uri"]),
        validation_uri=str(event["validation_data_uri"]),
        model_data_url=str(event["model_data_url"]),
        image_uri=str(event["image_uri"]),
        evaluation_uri=str(event["evaluation_uri"]),
        accepted=_accepted(event["gate_accepted"]),
        reason=str(event.get("gate_reason") or ""),
        model_package_arn=str(event["model_package_arn"]),
        version=version,
    )
