"""`get_pipeline`: the SageMaker pipeline's definition, and nothing else.

Train -> Evaluate -> Gate -> (Accepted: register Approved -> DeployCallback)
                          else (Rejected: register Rejected -> RecordRejection)

Every job runs the project's own image (training_pipeline/Dockerfile) with the same
step code the local runner calls. The gate's rule lives in gate.py: the evaluate step
applies it (challenger against the champion re-scored on the same validation data)
and writes the decision into evaluation.json; the condition only reads it.
"""

from __future__ import annotations

from typing import Any

from sagemaker.lambda_helper import Lambda
from sagemaker.model import Model
from sagemaker.model_metrics import MetricsSource, ModelMetrics
from sagemaker.workflow.condition_step import ConditionStep
from sagemaker.workflow.conditions import ConditionEquals
from sagemaker.workflow.execution_variables import ExecutionVariables
from sagemaker.workflow.functions import JsonGet
from sagemaker.workflow.lambda_step import LambdaStep
from sagemaker.workflow.model_step import ModelStep
from sagemaker.workflow.parameters import ParameterFloat, ParameterString
from sagemaker.workflow.pipeline import Pipeline
from sagemaker.workflow.pipeline_context import PipelineSession

from training_pipeline.gate import DEFAULT_MAX_MAE
from training_pipeline.sagemaker.jobs import evaluate_step, evaluation_uri, train_step
from training_pipeline.sagemaker.targets import PipelineTargets

DEFAULT_INSTANCE_TYPE = "ml.m5.large"  # 2 vCPU, 8 GiB: training on 16k rows takes seconds
JSON = "application/json"


def get_pipeline(targets: PipelineTargets, session: PipelineSession) -> Pipeline:
    """The pipeline for `targets.stage`; training uses ModelParams' defaults."""
    train_data = ParameterString("TrainingDataS3Path", targets.train_uri)
    validation_data = ParameterString("ValidationDataS3Path", targets.validation_uri)
    timestamp = ParameterString("TrainingTimestamp", "")
    training_instance = ParameterString("TrainingInstanceType", DEFAULT_INSTANCE_TYPE)
    processing_instance = ParameterString("ProcessingInstanceType", DEFAULT_INSTANCE_TYPE)
    max_mae = ParameterFloat("MaxMae", DEFAULT_MAX_MAE)
    champion = ParameterString("ChampionModelDataUrl", targets.no_champion_uri)
    # Launchers pass it with the champion's model.tar.gz (chalice_app/aws/training.py).
    champion_version = ParameterString("ChampionVersion", "")

    train = train_step(targets, session, train_data=train_data, instance_type=training_instance)
    model_data = train.properties.ModelArtifacts.S3ModelArtifacts
    evaluate, evaluation = evaluate_step(
        targets,
        session,
        model_data=model_data,
        champion=champion,
        champion_version=champion_version,
        validation_data=validation_data,
        instance_type=processing_instance,
        max_mae=max_mae,
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
        metrics = MetricsSource(content_type=JSON, s3_uri=evaluation_uri(evaluate))
        return ModelStep(
            name=name,
            step_args=model.register(
                content_types=[JSON],
                response_types=[JSON],
                model_package_group_name=targets.model_package_group,
                approval_status=approval,
                model_metrics=ModelMetrics(model_statistics=metrics),
                description=f"{targets.pipeline_name}: price model, gate {approval.lower()}",
            ),
        )

    def callback(name: str, function_arn: str, registered: ModelStep) -> LambdaStep:
        # What the deploy callback and the rejection record need; see docs/aws.md.
        inputs: dict[str, Any] = {
            "pipeline_execution_arn": ExecutionVariables.PIPELINE_EXECUTION_ARN,
            "execution_id": ExecutionVariables.PIPELINE_EXECUTION_ID,
            "training_timestamp": timestamp,
            "train_data_uri": train_data,
            "validation_data_uri": validation_data,
            "champion_model_data_url": champion,
            "model_data_url": model_data,
            "image_uri": targets.image_uri,
            "evaluation_uri": evaluation_uri(evaluate),
            "gate_accepted": gate("accepted"),
            "gate_reason": gate("reason"),
            "model_package_group": targets.model_package_group,
            "model_package_arn": registered.properties.ModelPackageArn,
        }
        function = Lambda(function_arn=function_arn, session=session)
        return LambdaStep(name=name, lambda_func=function, inputs=inputs)

    accepted, rejected = register("Accepted", "Approved"), register("Rejected", "Rejected")
    condition = ConditionStep(
        name="Gate",
        # The SDK documents JsonGet as a condition operand; its type hints forgot it.
        conditions=[ConditionEquals(left=gate("accepted"), right=True)],  # type: ignore[arg-type]
        if_steps=[accepted, callback("DeployCallback", targets.deploy_callback_arn, accepted)],
        else_steps=[rejected, callback("RecordRejection", targets.record_rejection_arn, rejected)],
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
            champion_version,
        ],
        steps=[train, evaluate, condition],
        # Runs are recorded in the run table and the Model Registry, not as Experiments.
        pipeline_experiment_config=None,
        sagemaker_session=session,
    )
