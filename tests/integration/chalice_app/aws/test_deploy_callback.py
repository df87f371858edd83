"""The pipeline's callbacks against moto in process: record, deploy, roll back, clean up.

moto has no UpdateEndpoint: that one call goes to a client answered by botocore's
Stubber (which checks its parameters), and the test then puts moto's endpoint where
SageMaker would (the new config InService, Failed with a reason, or still Updating).
Every other call is moto's.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from chalice_app.aws.clients import AwsClients, fixed
from chalice_app.aws.run_table import TABLE_SCHEMA, RunTable
from chalice_app.callbacks import service
from chalice_app.callbacks.step_event import CallbackError
from chalice_app.config import AwsSettings, load_aws_settings, load_deploy_settings
from chalice_app.wiring import build_callbacks, reset_callbacks
from contract import metrics
from contract.resources import DEPLOY_CALLBACK, DEPLOY_WATCH, RECORD_REJECTION
from devtools.moto_pipeline import after_evaluation
from devtools.moto_resources import pipeline_targets
from tests import events
from tests.aws_calls import CallRecorder, RequestRecorder
from tests.conftest import stage_environment
from tests.unit.chalice_app.test_iam_policies import granted

REGION, ACCOUNT = "us-east-1", "123456789012"
ENV = {**stage_environment(), "AWS_REGION": REGION, "PVP_DEPLOY_POLL_SECONDS": "0"}
ENDPOINT = "property-value-regressor-serverless-endpoint-dev"
GROUP = "property-value-regressor-dev"
PIPELINE_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:pipeline/property-evaluator-training-dev"
# A rollout that may wait (poll 0: moto's endpoint never needs one), or none at all.
WAITS, NO_WAIT = 600.0, 0.0


@pytest.fixture
def settings() -> AwsSettings:
    return load_aws_settings(ENV)


def name(version: str) -> str:
    return f"property-value-regressor-dev-{version}"


def moto_endpoint() -> Any:
    from moto.sagemaker.models import sagemaker_backends

    return sagemaker_backends[ACCOUNT][REGION].endpoints[ENDPOINT]


class StubbedUpdate:
    """moto's client, with UpdateEndpoint answered by botocore's Stubber (see top)."""

    def __init__(self, moto: Any) -> None:
        import boto3
        from botocore.stub import Stubber

        self._moto = moto
        self.stubbed = boto3.session.Session().client("sagemaker", region_name=REGION)
        self.stub = Stubber(self.stubbed)
        self.stub.activate()
        self.then: list[tuple[str, str | None]] = []  # (status, failure) per update
        self.creations_fail: str | None = None  # CreateEndpoint ends Failed with this

    def expect(self, config: str, status: str = "InService", failure: str | None = None) -> None:
        arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{ENDPOINT}"
        expected = {"EndpointName": ENDPOINT, "EndpointConfigName": config}
        self.stub.add_response("update_endpoint", {"EndpointArn": arn}, expected)
        self.then.append((status, failure))

    def update_endpoint(self, **params: Any) -> Any:
        answer = self.stubbed.update_endpoint(**params)
        status, failure = self.then.pop(0)
        endpoint = moto_endpoint()
        endpoint.endpoint_status, endpoint.failure_reason = status, failure
        # InService with a reason: SageMaker kept the old fleet, so the old config serves.
        if status != "Updating" and not (status == "InService" and failure):
            endpoint.endpoint_config_name = params["EndpointConfigName"]
        return answer

    def create_endpoint(self, **params: Any) -> Any:
        answer = self._moto.create_endpoint(**params)
        if self.creations_fail:  # moto's are InService at once; SageMaker's may not be
            moto_endpoint().endpoint_status = "Failed"
            moto_endpoint().failure_reason = self.creations_fail
        return answer

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._moto, attribute)


class Clients:
    """AwsClients on moto, but SageMaker's through StubbedUpdate."""

    def __init__(self, aws: AwsClients, sagemaker: StubbedUpdate) -> None:
        self._aws, self._sagemaker = aws, sagemaker

    def source(self, service_name: str) -> Any:
        return (
            fixed(self._sagemaker)
            if service_name == "sagemaker"
            else self._aws.source(service_name)
        )


@dataclass
class Stage:
    aws: AwsClients
    settings: AwsSettings
    sagemaker: StubbedUpdate
    runs: RunTable
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def callbacks(self, **env: str) -> service.Callbacks:
        return build_callbacks({**ENV, **env}, Clients(self.aws, self.sagemaker))

    def trained(
        self, mae: float, champion_mae: float | None = None, image: str | None = None
    ) -> dict[str, Any]:
        """What the pipeline leaves for its Lambda step after training one model (with
        the definition's image: `image`, else the stage's tag)."""
        n = next(self.ids)
        targets = pipeline_targets(self.settings)
        accepted = mae <= 3500 and (champion_mae is None or mae <= champion_mae)
        evaluation = {
            "metrics": {"mae": mae, "rmse": mae * 2.1, "r2": 0.85, "n_rows": 400, "n_unscored": 0},
            "champion": None if champion_mae is None else {"version": "v", "metrics": {}},
            "gate": {
                "accepted": accepted,
                "reason": f"MAE {mae:,.1f} UF {'passes' if accepted else 'fails'} the gate",
                "metric": "mae",
                "challenger": mae,
                "threshold": 3500.0,
                "champion": champion_mae,
                "champion_version": None,
            },
        }
        return after_evaluation(
            self.aws.get("s3"),
            self.aws.get("sagemaker"),
            targets,
            execution_arn=f"{PIPELINE_ARN}/execution/exec{n:04d}",
            train_uri=self.settings.train_uri,
            validation_uri=self.settings.validation_uri,
            champion_model_data_url=targets.no_champion_uri,
            model_data_url=f"{targets.artifacts_uri}/training/job{n:04d}/output/model.tar.gz",
            evaluation=evaluation,
            image_uri=image,
        )

    @contextmanager
    def invoking(self, function: str) -> Iterator[None]:
        """Every call the function makes must be one its IAM policy grants."""
        clients = [self.aws.get(name) for name in ("s3", "dynamodb", "sagemaker")]
        with CallRecorder(*clients, self.sagemaker.stubbed) as calls:
            yield
        assert calls.actions and calls.actions <= granted("dev", function), calls.actions

    def deploy(self, event: dict[str, Any], remaining: float = WAITS) -> dict[str, Any]:
        with self.invoking(DEPLOY_CALLBACK):
            return service.deploy_accepted(self.callbacks(), event, remaining)

    def reject(self, event: dict[str, Any]) -> dict[str, Any]:
        with self.invoking(RECORD_REJECTION):
            return service.record_rejection(self.callbacks(), event)

    def watch(self, remaining: float = 60.0) -> dict[str, Any]:
        with self.invoking(DEPLOY_WATCH):
            return service.watch(self.callbacks(), remaining)

    def run(self, event: dict[str, Any]) -> dict[str, Any]:
        run = self.runs.get(event["execution_id"])
        assert run is not None
        return run

    def endpoint(self) -> tuple[str, str]:
        found = self.aws.get("sagemaker").describe_endpoint(EndpointName=ENDPOINT)
        return found["EndpointStatus"], found["EndpointConfigName"]

    def configs(self) -> list[str]:
        listed = self.aws.get("sagemaker").list_endpoint_configs()["EndpointConfigs"]
        return sorted(c["EndpointConfigName"] for c in listed)

    def models(self) -> list[str]:
        listed = self.aws.get("sagemaker").list_models()["Models"]
        return sorted(m["ModelName"] for m in listed)


@pytest.fixture
def stage(aws: AwsClients, settings: AwsSettings) -> Iterator[Stage]:
    aws.get("dynamodb").create_table(TableName=settings.run_table, **TABLE_SCHEMA)
    aws.get("s3").create_bucket(Bucket=settings.bucket)
    aws.get("sagemaker").create_model_package_group(ModelPackageGroupName=GROUP)
    sagemaker = StubbedUpdate(aws.get("sagemaker"))
    yield Stage(aws, settings, sagemaker, RunTable(aws.source("dynamodb"), settings.run_table))
    sagemaker.stub.assert_no_pending_responses()
    reset_callbacks()


def test_the_lambda_functions_answer_through_chalice(
    stage: Stage, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalice.test import Client

    from chalice_app.app import app
    from tests.conftest import REPO_ROOT

    # GIVEN the stage's configuration as deployed, and a first model the gate accepted
    monkeypatch.setenv("AWS_REGION", REGION)
    first, worse = stage.trained(2100.0), stage.trained(2500.0, champion_mae=2100.0)
    with Client(app, stage_name="dev", project_dir=str(REPO_ROOT)) as client:
        # WHEN the pipeline's steps invoke them
        deployed = client.lambda_.invoke("deploy_callback", first).payload
        rejected = client.lambda_.invoke("record_rejection", worse).payload
        watched = client.lambda_.invoke(
            "deploy_watch", events.load("deploy_watch/scheduled")
        ).payload

    # THEN the first creates the endpoint, the worse one is only recorded
    assert deployed == {"run_id": "exec0001", "status": "accepted", "model_version": "v0001"}
    assert rejected == {"run_id": "exec0002", "status": "rejected", "model_version": "v0002"}
    assert watched == {"rollout": "none"}
    assert stage.endpoint() == ("InService", name("v0001"))


def test_the_first_model_creates_the_endpoint_and_the_run_is_recorded(stage: Stage) -> None:
    event = stage.trained(2100.0)

    outcome = stage.deploy(event)

    assert outcome["status"] == "accepted"
    assert stage.endpoint() == ("InService", name("v0001"))
    sagemaker = stage.aws.get("sagemaker")
    model = sagemaker.describe_model(ModelName=name("v0001"))["PrimaryContainer"]
    assert model["Environment"] == {"PVP_MODEL_VERSION": "v0001"}
    assert (model["Image"], model["ModelDataUrl"]) == (event["image_uri"], event["model_data_url"])
    config = sagemaker.describe_endpoint_config(EndpointConfigName=name("v0001"))
    (variant,) = config["ProductionVariants"]
    # The stage's own endpoint settings (.chalice/config.json), as the callback reads them.
    deploy = load_deploy_settings(ENV)
    assert variant["ServerlessConfig"] == {
        "MemorySizeInMB": deploy.memory_mb,
        "MaxConcurrency": deploy.max_concurrency,
    }
    run = stage.run(event)
    assert {k: run[k] for k in ("status", "step", "model_version", "reason")} == {
        "status": "accepted",
        "step": "record",
        "model_version": "v0001",
        "reason": None,
    }
    assert run["metrics"] == {
        "mae": 2100.0,
        "rmse": 4410.0,
        "r2": 0.85,
        "n_rows": 400,
        "n_unscored": 0,
    }
    assert run["gate"]["accepted"] is True and run["gate"]["challenger"] == 2100.0
    assert run["model_package_arn"] == event["model_package_arn"]
    assert run["artifacts_dir"] == event["evaluation_uri"].removesuffix("evaluation.json")
    assert run["train_path"] == stage.settings.train_uri and run["finished_at"]


# What serverless inference does not support, as the Model and EndpointConfig requests
# would ask for it (moto accepts them all, and drops EnableNetworkIsolation silently):
# https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html
EXCLUDED_FROM_MODEL = (
    "EnableNetworkIsolation",
    "VpcConfig",
    "Containers",
    "InferenceExecutionConfig",
)
EXCLUDED_FROM_CONTAINER = ("ImageConfig", "Mode", "MultiModelConfig")  # private registry, MME
EXCLUDED_FROM_CONFIG = ("DataCaptureConfig", "ShadowProductionVariants", "AsyncInferenceConfig")
INSTANCE_ONLY = ("InstanceType", "InitialInstanceCount", "AcceleratorType")  # GPUs, instances


def test_the_served_model_and_config_ask_for_nothing_serverless_inference_excludes(
    stage: Stage,
) -> None:
    sagemaker = stage.aws.get("sagemaker")
    models = RequestRecorder(sagemaker, "CreateModel")
    configs = RequestRecorder(sagemaker, "CreateEndpointConfig")

    stage.deploy(stage.trained(2100.0))

    (model,) = models.requests
    assert [k for k in EXCLUDED_FROM_MODEL if model.get(k)] == []
    assert [k for k in EXCLUDED_FROM_CONTAINER if model["PrimaryContainer"].get(k)] == []
    (config,) = configs.requests
    assert [k for k in EXCLUDED_FROM_CONFIG if config.get(k)] == []
    (variant,) = config["ProductionVariants"]  # one variant only
    assert variant["ServerlessConfig"] and [k for k in INSTANCE_ONLY if k in variant] == []


def test_a_better_model_updates_the_endpoint_and_a_worse_one_is_only_recorded(
    stage: Stage,
) -> None:
    stage.deploy(stage.trained(2100.0))
    stage.sagemaker.expect(name("v0002"))

    better = stage.deploy(stage.trained(2000.0, champion_mae=2100.0))
    worse = stage.trained(2300.0, champion_mae=2000.0)
    rejected = stage.reject(worse)

    assert better["status"] == "accepted" and rejected["status"] == "rejected"
    assert stage.endpoint() == ("InService", name("v0002"))
    run = stage.run(worse)
    assert (run["status"], run["step"], run["model_version"]) == ("rejected", "record", "v0003")
    assert run["reason"] == worse["gate_reason"] and run["metrics"]["mae"] == 2300.0
    assert name("v0003") not in stage.models()


def test_an_update_that_ends_failed_rolls_back_to_the_previous_config(stage: Stage) -> None:
    stage.deploy(stage.trained(2100.0))
    stage.sagemaker.expect(name("v0002"), "Failed", "the container did not answer /ping")
    event = stage.trained(2000.0, champion_mae=2100.0)

    # WHEN the update fails THEN the step fails, saying why
    with pytest.raises(CallbackError, match="did not answer /ping; rolled back to v0001"):
        stage.deploy(event)

    # AND the endpoint was deleted and created again on the previous config
    assert stage.endpoint() == ("InService", name("v0001"))
    run = stage.run(event)
    assert (run["status"], run["step"]) == ("failed", "deploy")
    assert run["reason"] == (
        "deploy failed: endpoint update to v0002 failed: the container did not answer /ping"
        "; rolled back to v0001"
    )
    assert name("v0002") not in stage.configs() + stage.models()


def test_an_update_sagemaker_undoes_itself_leaves_the_previous_config_serving(
    stage: Stage,
) -> None:
    stage.deploy(stage.trained(2100.0))
    # SageMaker keeps the old fleet when the new one fails: InService, old config, a reason
    stage.sagemaker.expect(name("v0002"), "InService", "health check failed")
    event = stage.trained(2000.0, champion_mae=2100.0)

    with pytest.raises(CallbackError, match="health check failed; v0001 kept serving"):
        stage.deploy(event)

    assert stage.endpoint() == ("InService", name("v0001"))
    assert stage.run(event)["status"] == "failed"
    assert name("v0002") not in stage.configs() + stage.models()


def test_a_slow_endpoint_is_left_to_the_watcher_which_finishes_the_run(stage: Stage) -> None:
    stage.deploy(stage.trained(2100.0))
    stage.sagemaker.expect(name("v0002"), "Updating")
    event = stage.trained(2000.0, champion_mae=2100.0)

    # WHEN the step may not wait (its time is up) THEN the run is still deploying
    assert stage.deploy(event, remaining=NO_WAIT)["status"] == "running"
    run = stage.run(event)
    assert (run["status"], run["step"], run["finished_at"]) == ("running", "deploy", None)

    # WHEN SageMaker is done AND the watcher looks THEN the run is accepted
    moto_endpoint().endpoint_status, moto_endpoint().endpoint_config_name = (
        "InService",
        name("v0002"),
    )
    watched = stage.watch()
    assert watched == {"rollout": "ended", "run_id": event["execution_id"]}
    run = stage.run(event)
    assert (run["status"], run["step"], run["model_version"]) == ("accepted", "record", "v0002")


def test_old_configs_and_models_are_deleted_beyond_the_last_few(stage: Stage) -> None:
    stage.deploy(stage.trained(2100.0))
    for mae, version in ((2000.0, "v0002"), (1900.0, "v0003"), (1800.0, "v0004")):
        stage.sagemaker.expect(name(version))
        stage.deploy(stage.trained(mae, champion_mae=mae + 100))

    kept = [name(v) for v in ("v0002", "v0003", "v0004")]
    assert stage.configs() == kept and stage.models() == kept
    assert stage.endpoint() == ("InService", name("v0004"))


def test_a_second_rollout_while_one_runs_fails_its_run_and_leaves_the_first(
    stage: Stage,
) -> None:
    stage.deploy(stage.trained(2100.0))
    stage.sagemaker.expect(name("v0002"), "Updating")
    first = stage.trained(2000.0, champion_mae=2100.0)
    stage.deploy(first, remaining=NO_WAIT)
    second = stage.trained(1900.0, champion_mae=2100.0)

    with pytest.raises(CallbackError, match="another rollout \\(run exec0002\\)"):
        stage.deploy(second)

    assert stage.run(second)["status"] == "failed"
    assert stage.run(first)["status"] == "running"
    assert name("v0003") not in stage.configs() + stage.models()


def test_an_unreadable_evaluation_fails_the_run_with_the_reason(stage: Stage) -> None:
    event = {**stage.trained(2100.0), "evaluation_uri": f"s3://{stage.settings.bucket}/nope.json"}

    with pytest.raises(CallbackError, match="NoSuchKey: no such object"):
        stage.deploy(event)

    run = stage.run(event)
    assert (run["status"], run["step"]) == ("failed", "deploy")
    assert run["reason"].startswith("deploy failed: cannot read s3://")
    with pytest.raises(CallbackError, match="lacks execution_id"):
        stage.reject({**event, "execution_id": ""})


def test_a_first_endpoint_that_ends_failed_is_removed(stage: Stage) -> None:
    stage.sagemaker.creations_fail = "image not found"
    event = stage.trained(2100.0)

    with pytest.raises(CallbackError, match="image not found; nothing served before"):
        stage.deploy(event)

    with pytest.raises(Exception, match="Could not find endpoint"):
        stage.endpoint()
    assert stage.run(event)["status"] == "failed"
    assert stage.configs() == stage.models() == []


def test_a_rollback_that_fails_too_says_so(stage: Stage) -> None:
    stage.deploy(stage.trained(2100.0))
    stage.sagemaker.expect(name("v0002"), "Failed", "out of memory")
    stage.sagemaker.creations_fail = "capacity"
    event = stage.trained(2000.0, champion_mae=2100.0)

    with pytest.raises(CallbackError, match="out of memory; restoring v0001 failed too: capacity"):
        stage.deploy(event)

    assert stage.run(event)["status"] == "failed"
    # Nothing more the rollout can do: an operator's turn, with the reason in the run
    assert stage.callbacks().rollout.current().active is False


def test_a_rollback_serves_the_previous_model_on_the_image_that_trained_it(
    stage: Stage,
) -> None:
    import boto3

    from devtools.moto_pipeline import definition_image
    from devtools.moto_resources import push_model_image
    from training_pipeline.sagemaker.harness import upsert

    targets = pipeline_targets(stage.settings)
    session = boto3.session.Session(region_name=REGION)
    sagemaker = stage.aws.get("sagemaker")

    def deployed_image() -> str:
        """The image the upserted pipeline's events carry: its definition's."""
        upsert(targets, session)
        found = sagemaker.describe_pipeline(PipelineName=targets.names.pipeline)
        return definition_image(json.loads(found["PipelineDefinition"]))

    # GIVEN v0001 trained and served on Monday's image
    push_model_image(stage.aws.get("ecr"), targets, "monday")
    monday = deployed_image()
    stage.deploy(stage.trained(2100.0, image=monday))
    # WHEN Tuesday's image takes the stage's tag, v0002 trains on it and fails to serve
    push_model_image(stage.aws.get("ecr"), targets, "tuesday")
    tuesday = deployed_image()
    stage.sagemaker.expect(name("v0002"), "Failed", "the container did not answer /ping")
    with pytest.raises(CallbackError, match="rolled back to v0001"):
        stage.deploy(stage.trained(2000.0, champion_mae=2100.0, image=tuesday))

    # THEN the endpoint is created again on v0001's config, whose model still names
    # Monday's image by digest (a tag would now mean Tuesday's)
    assert stage.endpoint() == ("InService", name("v0001"))
    served = sagemaker.describe_model(ModelName=name("v0001"))["PrimaryContainer"]["Image"]
    assert served == monday and "@sha256:" in monday and monday != tuesday


# The watcher's time left: its margin and one second of settling.
BRIEF_WATCH = service.MARGIN_SECONDS + 1.0


def test_the_watcher_says_how_old_a_running_rollout_is(
    stage: Stage, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    from dataclasses import replace

    from chalice_app.aws.deployments import DeploymentTable
    from contract.metrics import ROLLOUT_DEADLINE_SECONDS
    from tests.secrets_watch import json_lines, metric_documents

    def ages(lines: list[dict[str, Any]]) -> list[float]:
        # single_metric writes one value as a one-element list
        name = metrics.ROLLOUT_AGE
        found = [d[name] for d in metric_documents(lines) if name in d]
        return [value for one in found for value in (one if isinstance(one, list) else [one])]

    # GIVEN no rollout THEN the watcher writes no age (the alarm reads no data as fine)
    stage.watch()
    assert ages(json_lines(capsys.readouterr().out)) == []
    # GIVEN a rollout the step left running
    stage.deploy(stage.trained(2100.0))
    stage.sagemaker.expect(name("v0002"), "Updating")
    stage.deploy(stage.trained(2000.0, champion_mae=2100.0), remaining=NO_WAIT)
    capsys.readouterr()
    # WHEN the watcher looks THEN it writes the rollout's age, in seconds (a short
    # invocation: the endpoint stays Updating, and the stage polls without sleeping)
    stage.watch(remaining=BRIEF_WATCH)
    (age,) = ages(json_lines(capsys.readouterr().out))
    assert 0 <= age < 60
    # WHEN it has run past its deadline THEN the age says so and a warning names the run
    table = DeploymentTable(stage.aws.source("dynamodb"), stage.settings.run_table)
    running = table.load(ENDPOINT)
    old = running.started_at - ROLLOUT_DEADLINE_SECONDS - 120
    table.save(replace(running, started_at=old))
    stage.watch(remaining=BRIEF_WATCH)
    lines = json_lines(capsys.readouterr().out)
    (age,) = ages(lines)
    assert age > ROLLOUT_DEADLINE_SECONDS
    (warning,) = [r for r in caplog.records if r.getMessage().endswith("past its deadline")]
    assert warning.levelname == "WARNING" and warning.__dict__["run_id"] == running.run
