"""What the SageMaker pipeline does around its Lambda steps, done against moto.

moto stores pipelines but runs none of their steps (an execution is Succeeded at once).
These functions do what the pipeline's steps would leave behind, with the same calls
and shapes: register the model in the Model Package Group (the RegisterModel steps),
store evaluation.json where the Evaluate step writes it, and build the event its
Lambda steps send (training_pipeline/sagemaker/pipeline.py). `make run-moto` and the
tests use them; nothing that serves does.
"""

from __future__ import annotations

import json
from typing import Any

from chalice_app.aws.training import s3_location
from contract.pipeline import StepEventInputs
from contract.resources import StageTargets
from contract.vocabulary import execution_id_of

JSON = "application/json"


def register_model(
    sagemaker: Any,
    group: str,
    *,
    image: str,
    model_data_url: str,
    evaluation_uri: str,
    accepted: bool,
) -> str:
    """The RegisterModel step: a new version in the group, Approved or Rejected."""
    answer = sagemaker.create_model_package(
        ModelPackageGroupName=group,
        InferenceSpecification={
            "Containers": [{"Image": image, "ModelDataUrl": model_data_url}],
            "SupportedContentTypes": [JSON],
            "SupportedResponseMIMETypes": [JSON],
        },
        ModelApprovalStatus="Approved" if accepted else "Rejected",
        ModelMetrics={
            "ModelQuality": {"Statistics": {"ContentType": JSON, "S3Uri": evaluation_uri}}
        },
    )
    return str(answer["ModelPackageArn"])


def put_json(s3: Any, uri: str, data: dict[str, Any]) -> None:
    bucket, key = s3_location(uri, "uri")
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(data).encode(), ContentType=JSON)


def step_event(
    *,
    execution_arn: str,
    train_uri: str,
    validation_uri: str,
    champion_model_data_url: str,
    model_data_url: str,
    image_uri: str,
    evaluation_uri: str,
    evaluation: dict[str, Any],
    model_package_group: str,
    model_package_arn: str,
    training_timestamp: str = "",
) -> dict[str, Any]:
    """The inputs the pipeline's DeployCallback / RecordRejection step sends."""
    event = StepEventInputs(
        pipeline_execution_arn=execution_arn,
        execution_id=execution_id_of(execution_arn),
        training_timestamp=training_timestamp,
        train_data_uri=train_uri,
        validation_data_uri=validation_uri,
        champion_model_data_url=champion_model_data_url,
        model_data_url=model_data_url,
        image_uri=image_uri,
        evaluation_uri=evaluation_uri,
        gate_accepted=evaluation["gate"]["accepted"],
        gate_reason=evaluation["gate"]["reason"],
        model_package_group=model_package_group,
        model_package_arn=model_package_arn,
    )
    return dict(event)


def after_evaluation(
    s3: Any,
    sagemaker: Any,
    targets: StageTargets,
    *,
    execution_arn: str,
    train_uri: str,
    validation_uri: str,
    champion_model_data_url: str,
    model_data_url: str,
    evaluation: dict[str, Any],
    training_timestamp: str = "",
    image_uri: str | None = None,
) -> dict[str, Any]:
    """What the pipeline does once Evaluate wrote evaluation.json: the file where that
    step's output lands, the model registered by the gate's decision, and the event the
    Lambda step of that branch sends. `image_uri`: the definition's (by digest once
    upserted), else the targets' tag."""
    image_uri = image_uri or targets.image_uri
    execution_id = execution_id_of(execution_arn)
    evaluation_uri = f"{targets.artifacts_uri}/evaluation/{execution_id}/evaluation.json"
    put_json(s3, evaluation_uri, evaluation)
    package = register_model(
        sagemaker,
        targets.names.model_package_group,
        image=image_uri,
        model_data_url=model_data_url,
        evaluation_uri=evaluation_uri,
        accepted=bool(evaluation["gate"]["accepted"]),
    )
    return step_event(
        execution_arn=execution_arn,
        train_uri=train_uri,
        validation_uri=validation_uri,
        champion_model_data_url=champion_model_data_url,
        model_data_url=model_data_url,
        image_uri=image_uri,
        evaluation_uri=evaluation_uri,
        evaluation=evaluation,
        model_package_group=targets.names.model_package_group,
        model_package_arn=package,
        training_timestamp=training_timestamp,
    )


def definition_image(definition: dict[str, Any]) -> str:
    """The model image a pipeline definition runs (its training job's): by digest when
    `upsert` pinned it, the image every later step and the Lambda steps' event name."""
    train = next(step for step in definition["Steps"] if step["Type"] == "Training")
    return str(train["Arguments"]["AlgorithmSpecification"]["TrainingImage"])
