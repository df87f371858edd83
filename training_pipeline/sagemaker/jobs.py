"""The pipeline's two jobs, training and evaluation, both in the project's own image.

The image's programs (training_pipeline/container/bin) read and write the /opt/ml
layout in training_pipeline/container/layout.py; these jobs mount the data there.
"""

from __future__ import annotations

from sagemaker.estimator import Estimator
from sagemaker.inputs import TrainingInput
from sagemaker.network import NetworkConfig
from sagemaker.processing import ProcessingInput, ProcessingOutput, Processor
from sagemaker.workflow.entities import PipelineVariable
from sagemaker.workflow.execution_variables import ExecutionVariables
from sagemaker.workflow.functions import Join
from sagemaker.workflow.parameters import ParameterFloat
from sagemaker.workflow.pipeline_context import PipelineSession
from sagemaker.workflow.properties import PropertyFile
from sagemaker.workflow.steps import ProcessingStep, TrainingStep

from contract.pipeline import EVALUATE_STEP, EVALUATION_FILENAME, EVALUATION_OUTPUT, TRAIN_STEP
from contract.resources import StageTargets
from training_pipeline.container.layout import (
    PROCESSING_CHAMPION,
    PROCESSING_EVALUATION,
    PROCESSING_MODEL,
    PROCESSING_VALIDATION,
    TRAIN_CHANNEL,
    processing_path,
)

EVALUATE_PROGRAM = "evaluate"  # on the image's PATH (training_pipeline/container/bin)
MAX_JOB_SECONDS = 3600

Value = str | PipelineVariable


def train_step(
    targets: StageTargets,
    session: PipelineSession,
    *,
    train_data: Value,
    instance_type: Value,
) -> TrainingStep:
    """`train` on the `train` channel; SageMaker packs /opt/ml/model into model.tar.gz."""
    estimator = Estimator(
        image_uri=targets.image_uri,
        role=targets.role_arn,
        instance_count=1,
        instance_type=instance_type,
        output_path=f"{targets.artifacts_uri}/training",
        max_run=MAX_JOB_SECONDS,
        enable_network_isolation=True,
        disable_profiler=True,
        debugger_hook_config=False,
        sagemaker_session=session,
    )
    inputs = {TRAIN_CHANNEL: TrainingInput(s3_data=train_data, content_type="text/csv")}
    return TrainingStep(name=TRAIN_STEP, step_args=estimator.fit(inputs))


def evaluate_step(
    targets: StageTargets,
    session: PipelineSession,
    *,
    model_data: Value,
    champion: Value,
    champion_version: Value,
    validation_data: Value,
    instance_type: Value,
    max_mae: ParameterFloat,
) -> tuple[ProcessingStep, PropertyFile]:
    """`evaluate`: metrics of both models on the same rows and the gate's decision."""
    entrypoint: list[Value] = [EVALUATE_PROGRAM]
    processor = Processor(
        role=targets.role_arn,
        image_uri=targets.image_uri,
        entrypoint=entrypoint,
        instance_count=1,
        instance_type=instance_type,
        max_runtime_in_seconds=MAX_JOB_SECONDS,
        network_config=NetworkConfig(enable_network_isolation=True),
        sagemaker_session=session,
    )
    sources = {
        PROCESSING_MODEL: model_data,
        PROCESSING_CHAMPION: champion,
        PROCESSING_VALIDATION: validation_data,
    }
    destination = Join(
        on="/",
        values=[targets.artifacts_uri, "evaluation", ExecutionVariables.PIPELINE_EXECUTION_ID],
    )
    step_args = processor.run(
        inputs=[
            ProcessingInput(source=source, destination=processing_path(name), input_name=name)
            for name, source in sources.items()
        ],
        outputs=[
            ProcessingOutput(
                output_name=EVALUATION_OUTPUT,
                source=processing_path(PROCESSING_EVALUATION),
                destination=destination,
            )
        ],
        # The gate's reason names the champion by its version (v0003), as it does locally.
        arguments=["--max-mae", max_mae.to_string(), "--champion-version", champion_version],
    )
    evaluation = PropertyFile(
        name="Evaluation", output_name=EVALUATION_OUTPUT, path=EVALUATION_FILENAME
    )
    step = ProcessingStep(name=EVALUATE_STEP, step_args=step_args, property_files=[evaluation])
    return step, evaluation


def evaluation_uri(evaluate: ProcessingStep) -> Join:
    """Where the evaluate step's evaluation.json lands in S3."""
    output = evaluate.properties.ProcessingOutputConfig.Outputs[EVALUATION_OUTPUT]
    return Join(on="/", values=[output.S3Output.S3Uri, EVALUATION_FILENAME])
