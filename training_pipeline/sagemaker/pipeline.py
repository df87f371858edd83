"""`get_pipeline`: the SageMaker pipeline's definition, and nothing else.

Train -> Evaluate -> Gate -> (RegisterAccepted -> DeployCallback)
                          else (RegisterRejected -> RecordRejection)

Every job runs the project's own image (training_pipeline/Dockerfile) with the same
step code the local runner calls. The gate's rule lives in gate.py: the evaluate step
applies it (challenger against the champion re-scored on the same validation data)
and writes the decision into evaluation.json; the condition only reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sagemaker.estimator import Estimator
from sagemaker.inputs import TrainingInput
from sagemaker.lambda_helper import Lambda
from sagemaker.model import Model
from sagemaker.model_metrics import MetricsSource, ModelMetrics
from sagemaker.network import NetworkConfig
from sagemaker.processing import ProcessingInput, ProcessingOutput, Processor
from sagemaker.workflow.condition_step import ConditionStep
from sagemaker.workflow.conditions import ConditionEquals
from sagemaker.workflow.entities import PipelineVariable
from sagemaker.workflow.execution_variables import ExecutionVariables
from sagemaker.workflow.functions import Join, JsonGet
from sagemaker.workflow.lambda_step import LambdaStep
from sagemaker.workflow.model_step import ModelStep
from sagemaker.workflow.parameters import ParameterFloat, ParameterString
from sagemaker.workflow.pipeline import Pipeline
from sagemaker.workflow.pipeline_context import PipelineSession
from sagemaker.workflow.properties import PropertyFile
from sagemaker.workflow.steps import ProcessingStep, TrainingStep

from training_pipeline.container.layout import (
    PROCESSING_CHAMPION,
    PROCESSING_EVALUATION,
    PROCESSING_MODEL,
    PROCESSING_VALIDATION,
    TRAIN_CHANNEL,
    processing_path,
)
from training_pipeline.gate import DEFAULT_MAX_MAE
from training_pipeline.sagemaker.targets import PipelineTargets
from training_pipeline.steps.evaluate import EVALUATION_FILENAME

DEFAULT_INSTANCE_TYPE = "ml.m5.large"  # 2 vCPU, 8 GiB: training on 16k rows takes seconds
EVALUATE_PROGRAM = "evaluate"  # on the image's PATH (training_pipeline/container/bin)
MAX_JOB_SECONDS = 3600
EVALUATION_OUTPUT = "evaluation"
JSON = "application/json"


def get_pipeline(
    targets: PipelineTargets,
    session: PipelineSession,
    hyperparameters: Mapping[str, str] | None = None,
) -> Pipeline:
    """The pipeline for `targets.stage`; `hyperparameters` override ModelParams' defaults."""
    train_data = ParameterString("TrainingDataS3Path", f"s3://{targets.bucket}/data/train.csv")
    validation_data = ParameterString(
        "ValidationDataS3Path", f"s3://{targets.bucket}/data/validation.csv"
    )
    timestamp = ParameterString("TrainingTimestamp", "")
    training_instance = ParameterString("TrainingInstanceType", DEFAULT_INSTANCE_TYPE)
    processing_instance = ParameterString("ProcessingInstanceType", DEFAULT_INSTANCE_TYPE)
    max_mae = ParameterFloat("MaxMae", DEFAULT_MAX_MAE)
    entrypoint: list[str | PipelineVariable] = [EVALUATE_PROGRAM]
    champion = ParameterString("ChampionModelDataUrl", targets.no_champion_uri)

    train = TrainingStep(
        name="Train",
        step_args=Estimator(
            image_uri=targets.image_uri,
            role=targets.role_arn,
            instance_count=1,
            instance_type=training_instance,
            output_path=f"{targets.artifacts_uri}/training",
            hyperparameters=dict(hyperparameters or {}) or None,
            max_run=MAX_JOB_SECONDS,
            enable_network_isolation=True,
            disable_profiler=True,
            debugger_hook_config=False,
            sagemaker_session=session,
        ).fit({TRAIN_CHANNEL: TrainingInput(s3_data=train_data, content_type="text/csv")}),
    )
    model_data = train.properties.ModelArtifacts.S3ModelArtifacts

    evaluation = PropertyFile(
        name="Evaluation", output_name=EVALUATION_OUTPUT, path=EVALUATION_FILENAME
    )
    evaluate = ProcessingStep(
        name="Evaluate",
        property_files=[evaluation],
        step_args=Processor(
            role=targets.role_arn,
            image_uri=targets.image_uri,
            entrypoint=entrypoint,
            instance_count=1,
            instance_type=processing_instance,
            max_runtime_in_seconds=MAX_JOB_SECONDS,
            network_config=NetworkConfig(enable_network_isolation=True),
            sagemaker_session=session,
        ).run(
            inputs=[
                ProcessingInput(
                    source=model_data,
                    destination=processing_path(PROCESSING_MODEL),
                    input_name=PROCESSING_MODEL,
                ),
                ProcessingInput(
                    source=champion,
                    destination=processing_path(PROCESSING_CHAMPION),
                    input_name=PROCESSING_CHAMPION,
                ),
                ProcessingInput(
                    source=validation_data,
                    destination=processing_path(PROCESSING_VALIDATION),
                    input_name=PROCESSING_VALIDATION,
                ),
            ],
            outputs=[
                ProcessingOutput(
                    output_name=EVALUATION_OUTPUT,
                    source=processing_path(PROCESSING_EVALUATION),
                    destination=Join(
                        on="/",
                        values=[
                            targets.artifacts_uri,
                            "evaluation",
                            ExecutionVariables.PIPELINE_EXECUTION_ID,
                        ],
                    ),
                )
            ],
            arguments=["--max-mae", max_mae.to_string(), "--champion-version", champion],
        ),
    )
    outputs = evaluate.properties.ProcessingOutputConfig.Outputs
    evaluation_uri = Join(
        on="/", values=[outputs[EVALUATION_OUTPUT].S3Output.S3Uri, EVALUATION_FILENAME]
    )

    def gate(field: str) -> JsonGet:
        return JsonGet(step_name=evaluate.name, property_file=evaluation, json_path=f"gate.{field}")

    def register(name: str, approval: str) -> ModelStep:
        model = Model(
            image_uri=targets.image_uri,
            model_data=model_data,
            role=targets.role_arn,
            enable_network_isolation=True,
            sagemaker_session=session,
        )
        return ModelStep(
            name=name,
            step_args=model.register(
                content_types=[JSON],
                response_types=[JSON],
                model_package_group_name=targets.model_package_group,
                approval_status=approval,
                model_metrics=ModelMetrics(
                    model_statistics=MetricsSource(content_type=JSON, s3_uri=evaluation_uri)
                ),
                description=f"{targets.pipeline_name}: price model, gate {approval.lower()}",
            ),
        )

    def callback(name: str, function_arn: str, registered: ModelStep) -> LambdaStep:
        inputs: dict[str, Any] = {
            "pipeline_execution_arn": ExecutionVariables.PIPELINE_EXECUTION_ARN,
            "execution_id": ExecutionVariables.PIPELINE_EXECUTION_ID,
            "training_timestamp": timestamp,
            "train_data_uri": train_data,
            "validation_data_uri": validation_data,
            "champion_model_data_url": champion,
            "model_data_url": model_data,
            "image_uri": targets.image_uri,
            "evaluation_uri": evaluation_uri,
            "gate_accepted": gate("accepted"),
            "gate_reason": gate("reason"),
            "model_package_group": targets.model_package_group,
            "model_package_arn": registered.properties.ModelPackageArn,
        }
        return LambdaStep(
            name=name,
            lambda_func=Lambda(function_arn=function_arn, session=session),
            inputs=inputs,
        )

    accepted = register("Accepted", "Approved")
    rejected = register("Rejected", "Rejected")
    condition = ConditionStep(
        name="Gate",
        # The SDK documents JsonGet as a condition operand; its type hints forgot it.
        conditions=[ConditionEquals(left=gate("accepted"), right=True)],  # type: ignore[arg-type]
        if_steps=[accepted, callback("DeployCallback", targets.deploy_callback_arn, accepted)],
        else_steps=[
            rejected,
            callback("RecordRejection", targets.record_rejection_arn, rejected),
        ],
    )
    return Pipeline(
        name=targets.pipeline_name,
        parameters=[
            train_data,
            validation_data,
            timestamp,
            training_instance,
            processing_instance,
            max_mae,
            champion,
        ],
        steps=[train, evaluate, condition],
        # Runs are recorded in the run table and the Model Registry, not as Experiments.
        pipeline_experiment_config=None,
        sagemaker_session=session,
    )
