"""`sagemaker definition`: the pipeline JSON, built offline, checked as SageMaker reads it.

One subprocess builds it (the SDK takes seconds to import) with every HTTP(S) proxy
pointed at a listener that counts connections: the SDK and boto3 both honour the
proxy variables, so any AWS call, telemetry included, would show up there.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contract.pipeline import EVALUATION_FILENAME
from contract.vocabulary import PIPELINE_STEPS
from tests.conftest import REPO_ROOT, cli_env
from training_pipeline.container.layout import OptMl
from training_pipeline.gate import DEFAULT_MAX_MAE
from training_pipeline.sagemaker.graph import dependencies, render

BUCKET, REGION, ACCOUNT = "pvp-test-bucket", "sa-east-1", "111122223333"
LAMBDA_PREFIX = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:property-value-predictor-stg-"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/property-value-predictor-training:stg"
CONTAINER_BIN = REPO_ROOT / "training_pipeline" / "container" / "bin"


class _ConnectionCounter:
    """A TCP listener on loopback that accepts, counts and closes every connection."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.count = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.server.accept()
            except TimeoutError:
                continue
            self.count += 1
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.server.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Any], int, str]]:
    """(definition, connections attempted, stderr) of `sagemaker definition --stage stg`."""
    counter = _ConnectionCounter()
    proxy = f"http://127.0.0.1:{counter.port}"
    env = {k: v for k, v in cli_env(tmp_path_factory.mktemp("home")).items() if "AWS" not in k}
    env.update(
        HTTP_PROXY=proxy,
        HTTPS_PROXY=proxy,
        https_proxy=proxy,
        http_proxy=proxy,
        NO_PROXY="",
        no_proxy="",
        AWS_ACCESS_KEY_ID="testing",  # with credentials boto3 would really send a request
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_DEFAULT_REGION=REGION,
        PVP_BUCKET=BUCKET,
        PVP_AWS_ACCOUNT_ID=ACCOUNT,
    )
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "training_pipeline",
                "sagemaker",
                "definition",
                "--stage",
                "stg",
            ],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        counter.close()
    assert result.returncode == 0, result.stderr
    yield json.loads(result.stdout), counter.count, result.stderr


@pytest.fixture(scope="module")
def definition(built: tuple[dict[str, Any], int, str]) -> dict[str, Any]:
    return built[0]


def _steps(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every step by name, the condition's branches included."""
    steps: dict[str, dict[str, Any]] = {}
    for step in definition["Steps"]:
        steps[step["Name"]] = step
        if step["Type"] == "Condition":
            for branch in ("IfSteps", "ElseSteps"):
                steps.update(_steps({"Steps": step["Arguments"][branch]}))
    return steps


@pytest.mark.slow
def test_the_definition_is_built_without_any_network_call(
    built: tuple[dict[str, Any], int, str],
) -> None:
    definition, connections, stderr = built

    assert connections == 0
    assert definition["Version"] == "2020-12-01"
    assert "Traceback" not in stderr


def test_the_step_graph(definition: dict[str, Any]) -> None:
    steps = _steps(definition)

    assert [(s["Name"], s["Type"]) for s in definition["Steps"]] == [
        ("Train", "Training"),
        ("Evaluate", "Processing"),
        ("Gate", "Condition"),
    ]
    assert dependencies(steps["Evaluate"]) == ["Train"]
    assert dependencies(steps["Gate"]) == ["Evaluate"]
    gate = steps["Gate"]["Arguments"]
    assert gate["Conditions"] == [
        {
            "Type": "Equals",
            "LeftValue": {
                "Std:JsonGet": {
                    "PropertyFile": {"Get": "Steps.Evaluate.PropertyFiles.Evaluation"},
                    "Path": "gate.accepted",
                }
            },
            "RightValue": True,
        }
    ]
    branches = {
        branch: [(s["Name"], s["Type"]) for s in gate[branch]]
        for branch in ("IfSteps", "ElseSteps")
    }
    assert branches == {
        "IfSteps": [("Accepted-RegisterModel", "RegisterModel"), ("DeployCallback", "Lambda")],
        "ElseSteps": [("Rejected-RegisterModel", "RegisterModel"), ("RecordRejection", "Lambda")],
    }
    assert "Accepted-RegisterModel" in dependencies(steps["DeployCallback"])
    assert "Rejected-RegisterModel" in dependencies(steps["RecordRejection"])
    # The status route names each of these steps in the local runner's words.
    assert set(steps) == set(PIPELINE_STEPS)


def test_the_gate_is_not_reimplemented_in_the_definition(definition: dict[str, Any]) -> None:
    # The rule lives in gate.py, run by the evaluate step: no arithmetic on metrics here.
    text = json.dumps(definition)

    for comparison in ("GreaterThan", "LessThan", "metrics.mae", "champion.metrics"):
        assert comparison not in text


def test_registration_and_callbacks(definition: dict[str, Any]) -> None:
    steps = _steps(definition)
    for name, status in (
        ("Accepted-RegisterModel", "Approved"),
        ("Rejected-RegisterModel", "Rejected"),
    ):
        register = steps[name]["Arguments"]
        assert register["ModelPackageGroupName"] == "property-value-regressor-stg"
        assert register["ModelApprovalStatus"] == status
        statistics = register["ModelMetrics"]["ModelQuality"]["Statistics"]
        assert "Steps.Evaluate.ProcessingOutputConfig" in json.dumps(statistics)
        assert statistics["S3Uri"]["Std:Join"]["Values"][-1] == EVALUATION_FILENAME
        container = register["InferenceSpecification"]["Containers"][0]
        assert container["Image"] == IMAGE
        assert container["ModelDataUrl"] == {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}

    deploy, reject = steps["DeployCallback"], steps["RecordRejection"]
    assert deploy["FunctionArn"] == LAMBDA_PREFIX + "deploy_callback"
    assert reject["FunctionArn"] == LAMBDA_PREFIX + "record_rejection"
    expected_inputs = {
        "pipeline_execution_arn",
        "execution_id",
        "training_timestamp",
        "train_data_uri",
        "validation_data_uri",
        "champion_model_data_url",
        "model_data_url",
        "image_uri",
        "evaluation_uri",
        "gate_accepted",
        "gate_reason",
        "model_package_group",
        "model_package_arn",
    }
    assert set(deploy["Arguments"]) == set(reject["Arguments"]) == expected_inputs
    assert deploy["Arguments"]["model_package_arn"] == {
        "Get": "Steps.Accepted-RegisterModel.ModelPackageArn"
    }
    assert deploy["Arguments"]["execution_id"] == {"Get": "Execution.PipelineExecutionId"}
    assert deploy["Arguments"]["gate_reason"]["Std:JsonGet"]["Path"] == "gate.reason"


def test_the_parameters(definition: dict[str, Any]) -> None:
    parameters = {p["Name"]: (p["Type"], p.get("DefaultValue")) for p in definition["Parameters"]}

    assert parameters == {
        "TrainingDataS3Path": ("String", f"s3://{BUCKET}/data/training_data/train.csv"),
        "ValidationDataS3Path": ("String", f"s3://{BUCKET}/data/validation_data/test.csv"),
        "TrainingTimestamp": ("String", ""),
        "TrainingInstanceType": ("String", "ml.m5.large"),
        "ProcessingInstanceType": ("String", "ml.m5.large"),
        "MaxMae": ("Float", DEFAULT_MAX_MAE),
        "ChampionModelDataUrl": (
            "String",
            f"s3://{BUCKET}/pipelines/property-evaluator-training-stg/no-champion/NO_CHAMPION",
        ),
        "ChampionVersion": ("String", ""),
    }


def test_the_jobs_run_this_repository_s_programs_in_the_project_image(
    definition: dict[str, Any],
) -> None:
    steps = _steps(definition)
    training = steps["Train"]["Arguments"]
    processing = steps["Evaluate"]["Arguments"]
    layout = OptMl(Path("/opt/ml"))

    # Training: the image's `train` reads the `train` channel
    assert training["AlgorithmSpecification"]["TrainingImage"] == IMAGE
    assert [c["ChannelName"] for c in training["InputDataConfig"]] == ["train"]
    assert training["EnableNetworkIsolation"] is True
    # Evaluation: the image's `evaluate`, its inputs where the entry point reads them
    app = processing["AppSpecification"]
    assert app["ImageUri"] == IMAGE
    assert app["ContainerEntrypoint"] == ["evaluate"]
    assert "training_pipeline.container.evaluate" in (CONTAINER_BIN / "evaluate").read_text()
    assert (REPO_ROOT / "training_pipeline" / "container" / "evaluate.py").is_file()
    inputs = {i["InputName"]: i["S3Input"]["LocalPath"] for i in processing["ProcessingInputs"]}
    assert inputs == {name: str(layout.processing(name)) for name in inputs}
    assert set(inputs) == {"model", "champion", "validation"}
    (output,) = processing["ProcessingOutputConfig"]["Outputs"]
    assert output["S3Output"]["LocalPath"] == str(layout.processing("evaluation"))
    assert steps["Evaluate"]["PropertyFiles"] == [
        {
            "PropertyFileName": "Evaluation",
            "OutputName": "evaluation",
            "FilePath": EVALUATION_FILENAME,
        }
    ]
    assert processing["NetworkConfig"]["EnableNetworkIsolation"] is True
    # Nothing installs packages at run time; every S3 location is in the project's bucket
    text = json.dumps(definition)
    assert "pip install" not in text
    for uri in _s3_uris(definition):
        assert uri.startswith(f"s3://{BUCKET}/"), uri


def _s3_uris(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value.startswith("s3://") else []
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return [uri for item in items for uri in _s3_uris(item)]


def test_the_graph_renders_for_people(definition: dict[str, Any]) -> None:
    lines = render(definition).splitlines()

    assert lines[0].startswith("parameters: TrainingDataS3Path, ValidationDataS3Path")
    assert lines[1].split() == ["Train", "Training", "<-", "(start)"]
    assert lines[2].split() == ["Evaluate", "Processing", "<-", "Train"]
    assert lines[4].strip() == "if Evaluate:Evaluation gate.accepted Equals true:"
    assert lines[6].split()[:2] == ["DeployCallback", "Lambda"]
    assert lines[7].strip() == "else:"


def test_the_local_commands_never_import_the_sdk() -> None:
    probe = (
        "import sys; from training_pipeline.cli import build_parser; build_parser(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sagemaker', 'boto3')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
