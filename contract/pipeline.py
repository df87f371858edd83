"""The training pipeline's interface: run-time parameters, step names, callback event.

`training_pipeline/sagemaker/pipeline.py` defines the SageMaker pipeline with these;
launchers (`chalice_app/aws/training.py`) fill the parameters; the pipeline's Lambda
steps send the event fields to the callbacks (`chalice_app/callbacks`).
"""

from __future__ import annotations

from typing import Any, Final, TypedDict

# Run-time parameters. The data parameters keep the API's request field names.
TRAIN_DATA: Final = "TrainingDataS3Path"
VALIDATION_DATA: Final = "ValidationDataS3Path"
TRAINING_TIMESTAMP: Final = "TrainingTimestamp"
TRAINING_INSTANCE: Final = "TrainingInstanceType"
PROCESSING_INSTANCE: Final = "ProcessingInstanceType"
MAX_MAE: Final = "MaxMae"
# The model the endpoint serves, which the evaluate step re-scores (default: none yet).
CHAMPION_MODEL: Final = "ChampionModelDataUrl"
CHAMPION_VERSION: Final = "ChampionVersion"

# Step names, as SageMaker reports them. A ModelStep named X registers as X-RegisterModel.
TRAIN_STEP: Final = "Train"
EVALUATE_STEP: Final = "Evaluate"
GATE_STEP: Final = "Gate"
ACCEPTED_REGISTER: Final = "Accepted"
REJECTED_REGISTER: Final = "Rejected"
REGISTER_SUFFIX: Final = "-RegisterModel"
DEPLOY_CALLBACK_STEP: Final = "DeployCallback"
RECORD_REJECTION_STEP: Final = "RecordRejection"


class StepEventInputs(TypedDict):
    """What the DeployCallback and RecordRejection steps send: a flat JSON object.

    The definition builds its inputs as this type (so a type checker holds it to these
    keys); the callbacks parse them. Values are pipeline expressions in the definition,
    strings and one boolean (`gate_accepted`) in the event.
    """

    pipeline_execution_arn: Any
    execution_id: Any
    training_timestamp: Any
    train_data_uri: Any
    validation_data_uri: Any
    champion_model_data_url: Any
    model_data_url: Any
    image_uri: Any
    evaluation_uri: Any
    gate_accepted: Any
    gate_reason: Any
    model_package_group: Any
    model_package_arn: Any


EVENT_FIELDS: Final = tuple(StepEventInputs.__annotations__)
# Where the evaluate step writes its decision, and the name of its output.
EVALUATION_FILENAME: Final = "evaluation.json"
EVALUATION_OUTPUT: Final = "evaluation"
